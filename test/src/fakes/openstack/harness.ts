// What the OpenStack driver tests share: an environment for the driver
// process without the user's OS_* variables or clouds.yaml, and flags for a
// machine on the local cloud with the demo user of the real Keystone.
import * as path from 'node:path';
import { driverBin, envWithout, tempDir } from '../common/harness';
import { DEMO } from './keystone';
import type { FakeOpenStack } from './server';

export { tempDir };
export const DRIVER_BIN = driverBin('openstack');

/** The process environment without OS_* variables, with a temp HOME, run from it (no ./clouds.yaml), and short polls. */
export function cleanOsEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return envWithout(['OS_'], { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), MACHINE_OPENSTACK_POLL_SECONDS: '0.05', ...extra });
}

export type Flags = Record<string, string | number | boolean | string[]>;

/** Credentials of the demo user in the fake's region. */
export function authFlags(fake: FakeOpenStack): Flags {
  return {
    'openstack-auth-url': fake.authUrl,
    'openstack-username': DEMO.username,
    'openstack-password': DEMO.password,
    'openstack-tenant-name': DEMO.project,
    'openstack-domain-name': DEMO.domain,
    'openstack-region': fake.region,
  };
}

/** Flags for a machine on the provider network (reachable fixed addresses) of the local cloud. */
export function endpointFlags(fake: FakeOpenStack, extra: Flags = {}): Flags {
  return {
    ...authFlags(fake),
    'openstack-flavor-name': 'm1.small',
    'openstack-image-name': 'ubuntu-22.04',
    'openstack-net-name': 'provider',
    'openstack-ssh-user': 'ubuntu',
    ...extra,
  };
}
