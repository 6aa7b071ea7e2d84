// What the EC2 driver tests share: a clean AWS environment for the driver
// process (no real credentials, no instance metadata lookups), and the
// driver launched through the SDK's host against a local endpoint.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FakeEc2 } from './server';

// The SDK's notice about its own future Node support would clutter test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const ACCESS_KEY = 'AKIDFAKEEC2';
export const SECRET_KEY = 'fake-secret-key';

export const DRIVER_BIN = path.resolve(__dirname, '../../../../plugins/driver-amazonec2/bin/machine-driver-amazonec2');

/** The process environment without any AWS_* variable, plus a temp HOME and short waiter delays. */
export function cleanAwsEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('AMAZONEC2_')) env[k] = v;
  return {
    ...env,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
    MACHINE_AMAZONEC2_POLL_SECONDS: '0.05',
    ...extra,
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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
