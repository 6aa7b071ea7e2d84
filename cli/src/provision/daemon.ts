// Rendering of the Docker daemon's configuration: its command-line flags,
// the systemd drop-in that runs it, and the /etc/default/docker file that
// sysvinit scripts read. Pure functions, so every rule is unit-tested.

import { shellQuote } from '../format/quote';

/**
 * Why an engine value (a flag, label, environment entry, registry…) cannot
 * reach the daemon's configuration, or undefined. The systemd drop-in and
 * /etc/default/docker are line-based: a line break would start a directive
 * of its own, so no control character is let through.
 */
export function engineValueProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const bad = /[\x00-\x1f\x7f]/.exec(value);
  if (!bad) return undefined;
  if (bad[0] === '\n' || bad[0] === '\r') return 'contains a line break';
  return `contains the control character ${JSON.stringify(bad[0])}`;
}

function mustBeEngineValues(values: string[]): void {
  for (const v of values) {
    const problem = engineValueProblem(v);
    if (problem) throw new Error(`the engine value ${JSON.stringify(v)} ${problem}, which the daemon's configuration cannot hold`);
  }
}

export const REMOTE_CERT_DIR = '/etc/docker';
export const REMOTE_CA = `${REMOTE_CERT_DIR}/ca.pem`;
export const REMOTE_SERVER_CERT = `${REMOTE_CERT_DIR}/server.pem`;
export const REMOTE_SERVER_KEY = `${REMOTE_CERT_DIR}/server-key.pem`;
export const SYSTEMD_DROP_IN = '/etc/systemd/system/docker.service.d/10-machine.conf';
export const SYSVINIT_DEFAULTS = '/etc/default/docker';

/** The engine settings of a machine (HostOptions.EngineOptions in config.json). */
export interface EngineSettings {
  arbitraryFlags: string[];
  env: string[];
  insecureRegistry: string[];
  labels: string[];
  registryMirror: string[];
  storageDriver: string;
}

export interface DaemonInput {
  engine: EngineSettings;
  driverName: string;
  port: number;
  /** Storage driver to pass; decided by decideStorageDriver. Empty: let dockerd choose. */
  storageDriver: string;
  /** Keys already set in /etc/docker/daemon.json; the same setting as a flag makes dockerd refuse to start. */
  daemonJsonKeys?: string[];
  liveRestore?: boolean;
}

export interface DaemonArgs {
  args: string[];
  warnings: string[];
}

/** Settings that must be ours for the machine to work; a daemon.json holding them cannot be worked around. */
const REQUIRED_KEYS: Record<string, string> = {
  hosts: '-H',
  tlsverify: '--tlsverify',
  tlscacert: '--tlscacert',
  tlscert: '--tlscert',
  tlskey: '--tlskey',
  tls: '--tls',
};

export class DaemonConfigConflictError extends Error {
  constructor(keys: string[]) {
    super(
      `/etc/docker/daemon.json on the host sets ${keys.map((k) => `"${k}"`).join(', ')}, which machine must set itself ` +
        '(the daemon listens on TCP with TLS using the machine\'s certificates). Remove those keys from /etc/docker/daemon.json on the host and run "machine provision" again.',
    );
    this.name = 'DaemonConfigConflictError';
  }
}

export function daemonArgs(input: DaemonInput): DaemonArgs {
  const inJson = new Set(input.daemonJsonKeys ?? []);
  const conflicts = Object.keys(REQUIRED_KEYS).filter((k) => inJson.has(k));
  if (conflicts.length) throw new DaemonConfigConflictError(conflicts);
  const warnings: string[] = [];
  const args = [
    '-H', `tcp://0.0.0.0:${input.port}`,
    '-H', 'unix:///var/run/docker.sock',
  ];
  if (input.storageDriver && !inJson.has('storage-driver')) args.push('--storage-driver', input.storageDriver);
  args.push('--tlsverify', '--tlscacert', REMOTE_CA, '--tlscert', REMOTE_SERVER_CERT, '--tlskey', REMOTE_SERVER_KEY);
  if (input.liveRestore && !inJson.has('live-restore')) args.push('--live-restore');

  const lists: Array<[string, string, string[]]> = [
    ['labels', '--label', [...input.engine.labels, `provider=${input.driverName}`]],
    ['insecure-registries', '--insecure-registry', input.engine.insecureRegistry],
    ['registry-mirrors', '--registry-mirror', input.engine.registryMirror],
  ];
  for (const [key, flag, values] of lists) {
    if (!values.length) continue;
    if (inJson.has(key)) {
      warnings.push(`/etc/docker/daemon.json already sets "${key}", so ${flag} ${values.join(', ')} was not applied; add the values there instead.`);
      continue;
    }
    for (const v of values) args.push(flag, v);
  }
  for (const opt of input.engine.arbitraryFlags) args.push(engineOptFlag(opt));
  return { args, warnings };
}

/** --engine-opt values are flag names with optional "=value": "log-level=debug" → "--log-level=debug". */
export function engineOptFlag(opt: string): string {
  return opt.startsWith('-') ? opt : `--${opt}`;
}

/**
 * The storage driver to run with. Asked for explicitly, it is applied, as the
 * reference does, with a warning when it hides what the engine has under its
 * current driver. Not asked for, an engine that already has one keeps it:
 * switching hides every image and container (the reference wiped users'
 * hosts this way by defaulting to its own choice).
 */
export function decideStorageDriver(requested: string, existing: string): { driver: string; warning?: string } {
  if (requested) {
    if (existing && requested !== existing) {
      return {
        driver: requested,
        warning: `the engine on the host used the "${existing}" storage driver; switching to "${requested}" as asked hides the images and containers it has under "${existing}"`,
      };
    }
    return { driver: requested };
  }
  return { driver: existing };
}

/** Quotes one word of a systemd Exec line: %, $ and quotes are special there. */
export function systemdQuote(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (escaped === '' || /[\s"'\\;]/.test(escaped)) return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return escaped;
}

export function systemdDropIn(dockerd: string, args: string[], env: string[]): string {
  mustBeEngineValues([dockerd, ...args, ...env]);
  const lines = ['[Service]', 'ExecStart=', `ExecStart=${[dockerd, ...args].map(systemdQuote).join(' ')}`];
  if (env.length) {
    const vars = env.map((e) => `"${e.replace(/%/g, '%%').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    lines.push(`Environment=${vars.join(' ')}`);
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * /etc/default/docker for init scripts, which word-split $DOCKER_OPTS; the
 * value is kept to words without spaces for that reason, and environment
 * variables are exported from the file since init scripts source it.
 */
export function sysvinitDefaults(args: string[], env: string[]): string {
  mustBeEngineValues([...args, ...env]);
  const bad = args.filter((a) => /\s/.test(a));
  if (bad.length) {
    throw new Error(`engine options containing spaces cannot be passed through /etc/default/docker on hosts without systemd: ${bad.join(', ')}`);
  }
  const lines = ['# Written by machine; "machine provision" rewrites it.', `DOCKER_OPTS=${shellQuote(args.join(' '))}`];
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq <= 0) continue;
    lines.push(`export ${e.slice(0, eq)}=${shellQuote(e.slice(eq + 1))}`);
  }
  lines.push('');
  return lines.join('\n');
}
