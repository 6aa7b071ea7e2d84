// What the DigitalOcean driver tests share: an environment for the driver
// process without the user's own token or doctl config, and flags for a
// machine on the local API.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { driverBin, envWithout, tempDir } from '../common/harness';
import { TOKEN, type FakeDigitalOcean } from './server';

export { tempDir };
export const DRIVER_BIN = driverBin('digitalocean');

/** The process environment without any DIGITALOCEAN_* variable, with a temp HOME (so no doctl config) and short poll delays. */
export function cleanDoEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return envWithout(['DIGITALOCEAN_', 'XDG_CONFIG_HOME'], { HOME: home, MACHINE_DIGITALOCEAN_POLL_SECONDS: '0.05', ...extra });
}

/** Flags for a machine on the local API, with its token. */
export function endpointFlags(fake: FakeDigitalOcean, extra: Record<string, string | number | boolean | string[]> = {}): Record<string, string | number | boolean | string[]> {
  return { 'digitalocean-api-url': fake.url, 'digitalocean-access-token': TOKEN, ...extra };
}

/** Writes a doctl config file under `home`, as `doctl auth init` would. */
export function writeDoctlConfig(home: string, config: { accessToken?: string; context?: string; contexts?: Record<string, string> }): string {
  const dir = path.join(home, '.config', 'doctl');
  fs.mkdirSync(dir, { recursive: true });
  const lines = [`access-token: ${config.accessToken ?? ''}`];
  if (config.contexts) {
    lines.push('auth-contexts:');
    for (const [name, token] of Object.entries(config.contexts)) lines.push(`  ${name}: ${token}`);
  }
  if (config.context) lines.push(`context: ${config.context}`);
  lines.push('output: text', '');
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  return file;
}
