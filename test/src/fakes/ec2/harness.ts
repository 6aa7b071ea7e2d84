// What the EC2 driver tests share: a clean AWS environment for the driver
// process (no real credentials, no instance metadata lookups), and the
// driver launched through the SDK's host against a local endpoint.
import * as path from 'node:path';
import { driverBin, envWithout, tempDir } from '../common/harness';
import type { FakeEc2 } from './server';

// The SDK's notice about its own future Node support would clutter test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const ACCESS_KEY = 'AKIDFAKEEC2';
export const SECRET_KEY = 'fake-secret-key';

export { tempDir };
export const DRIVER_BIN = driverBin('amazonec2');

/** The process environment without any AWS_* variable, plus a temp HOME and short waiter delays. */
export function cleanAwsEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return envWithout(['AWS_', 'AMAZONEC2_'], {
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
    MACHINE_AMAZONEC2_POLL_SECONDS: '0.05',
    ...extra,
  });
}


/** Flags for a machine on the local endpoint, with the endpoint's credentials. */
export function endpointFlags(fake: FakeEc2, extra: Record<string, string | number | boolean | string[]> = {}): Record<string, string | number | boolean | string[]> {
  return {
    'amazonec2-endpoint': fake.url,
    'amazonec2-region': fake.region,
    'amazonec2-access-key': ACCESS_KEY,
    'amazonec2-secret-key': SECRET_KEY,
    ...extra,
  };
}
