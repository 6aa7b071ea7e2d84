import type { JsonValue } from '@machine/driver-sdk/lib/types';
import { MachineError } from '../../errors';
import { Template, TemplateError, unescapeFormat } from '../../format/template';
import { serializeHost } from '../../store/host';
import type { HostConfig } from '../../store/types';
import type { CommandSpec } from '../spec';

/** Driver-state keys that hold secrets (AccessToken, SecretKey, Password, ...). Paths to key files are not secrets. */
const SENSITIVE = /(password|passwd|secret|token|apikey|api_key|accesskey|access_key|privatekey|private_key|credential)/i;
const NOT_SECRET = /(path|file|name|id|url|type)$/i;
export const MASK = '********';

export function maskSecrets(v: JsonValue, depth = 0): JsonValue {
  if (depth > 20 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => maskSecrets(x, depth + 1));
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = SENSITIVE.test(k) && !NOT_SECRET.test(k) && typeof x === 'string' && x !== '' ? MASK : maskSecrets(x, depth + 1);
  }
  return out;
}

export function maskedHost(host: HostConfig): HostConfig {
  return { ...host, Driver: maskSecrets(host.Driver) as HostConfig['Driver'] };
}

export const spec: CommandSpec = {
  id: 'inspect',
  summary: 'Inspect information about a machine',
  description: 'Prints the machine\'s record (config.json with the driver\'s state) as JSON, secrets masked; --format applies a Go template to it.',
  examples: ['<%= config.bin %> inspect dev', "<%= config.bin %> inspect --format '{{.Driver.IPAddress}}' dev", "<%= config.bin %> inspect -f '{{json .HostOptions.EngineOptions}}' dev"],
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  readOnly: true,
  flags: {
    format: { type: 'string', char: 'f', description: 'Format the output using the given Go template', helpValue: '<template>' },
    'show-secrets': { type: 'boolean', description: 'Do not mask passwords, tokens and secret keys in the driver state' },
  },
  async run(ctx, { flags, args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    const shown = flags['show-secrets'] === true ? host : maskedHost(host);
    const format = flags.format as string | undefined;
    if (!format) {
      ctx.out(serializeHost(shown));
      return;
    }
    let t: Template;
    try {
      t = new Template(unescapeFormat(format));
    } catch (e) {
      throw new MachineError('usage', (e as Error).message);
    }
    try {
      ctx.out(t.execute(JSON.parse(JSON.stringify(shown))));
    } catch (e) {
      if (e instanceof TemplateError) throw new MachineError('usage', e.message);
      throw e;
    }
  },
};
