import type { JsonValue } from '@machine/driver-sdk';
import { cachedDescription } from '../discovery/describe-cache';
import { findDriver } from '../discovery/discover';
import { MachineError, PartialOutputError } from '../errors';
import { Template, TemplateError } from '../format/template';
import { serializeHost } from '../store/host';
import type { HostConfig } from '../store/types';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

/** Driver-state keys that hold secrets (AccessToken, SecretKey, Password, ...). Paths to key files are not secrets. */
const SENSITIVE = /(password|passwd|secret|token|apikey|api_key|accesskey|access_key|privatekey|private_key|credential)/i;
const NOT_SECRET = /(path|file|name|id|url|type)$/i;
export const MASK = '********';

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Masks secret-looking values. `extra` holds normalised key names the
 * driver's schema marks sensitive ("amazonec2-secret-key" → "secretkey").
 */
export function maskSecrets(v: JsonValue, extra: Set<string> = new Set(), depth = 0): JsonValue {
  if (depth > 20 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => maskSecrets(x, extra, depth + 1));
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v)) {
    const secret = (SENSITIVE.test(k) && !NOT_SECRET.test(k)) || extra.has(norm(k));
    out[k] = secret && typeof x === 'string' && x !== '' ? MASK : maskSecrets(x, extra, depth + 1);
  }
  return out;
}

/** Sensitive flag names from the driver's cached description; never starts the driver. */
function sensitiveKeys(host: HostConfig, storeRoot: string, env: NodeJS.ProcessEnv): Set<string> {
  try {
    const desc = cachedDescription(findDriver(host.DriverName, { env }), storeRoot);
    const prefix = `${host.DriverName}-`;
    return new Set((desc?.schema ?? []).filter((f) => f.sensitive).map((f) => norm(f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name)));
  } catch {
    return new Set();
  }
}

export function maskedHost(host: HostConfig, extra?: Set<string>): HostConfig {
  return { ...host, Driver: maskSecrets(host.Driver, extra) as HostConfig['Driver'] };
}

/** The record as the reference prints it: its five top-level keys, none of ours (such as Machine). */
export function referenceRecord(host: HostConfig): HostConfig {
  return { ConfigVersion: host.ConfigVersion, Driver: host.Driver, DriverName: host.DriverName, HostOptions: host.HostOptions, Name: host.Name };
}

/**
 * The reference hands templates the record as a Go map, whose keys come out
 * sorted (`{{json .Driver}}`, `{{range}}`); the same here, at every depth.
 */
export function sortedKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortedKeys(v[k]);
  return out;
}

/**
 * `record` through a --format template as the reference renders it: the
 * template as given (no \n or \t made real, unlike ls), over the record's
 * JSON read back into maps, whose keys Go visits in sorted order.
 */
export function renderRecord(format: string, record: object): string {
  let t: Template;
  try {
    t = new Template(format);
  } catch (e) {
    throw new MachineError('usage', `template parsing error: ${(e as Error).message}`);
  }
  try {
    return t.execute(sortedKeys(JSON.parse(JSON.stringify(record)) as JsonValue));
  } catch (e) {
    if (e instanceof TemplateError) throw new PartialOutputError(e.message, e.partial);
    throw e;
  }
}

export const spec: CommandSpec = {
  id: 'inspect',
  summary: 'Inspect information about a machine',
  description: 'Prints the machine\'s record (config.json with the driver\'s state) as JSON, secrets masked; --format applies a Go template to it.',
  examples: ['<%= config.bin %> inspect dev', "<%= config.bin %> inspect --format '{{.Driver.IPAddress}}' dev", "<%= config.bin %> inspect -f '{{json .HostOptions.EngineOptions}}' dev"],
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  // More than one name is refused by targetName, with the reference's text.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    format: { type: 'string', char: 'f', description: 'Format the output using the given Go template', helpValue: '<template>' },
    'show-secrets': { type: 'boolean', description: 'Do not mask passwords, tokens and secret keys in the driver state' },
    json: { type: 'boolean', description: 'Print the record as one JSON document, two-space indented like every --json (without --json: config.json\'s own 4-space form)' },
  },
  async run(ctx, { flags, args }) {
    const host = ctx.loadHost(ctx.targetName(args));
    const shown = referenceRecord(flags['show-secrets'] === true ? host : maskedHost(host, sensitiveKeys(host, ctx.store.root, ctx.env)));
    const format = flags.format as string | undefined;
    if (flags.json === true) {
      if (format) throw new MachineError('usage', '--json and --format cannot be used together');
      ctx.out(jsonDocument(shown));
      return;
    }
    if (!format) {
      ctx.out(serializeHost(shown));
      return;
    }
    ctx.out(renderRecord(format, shown));
  },
};
