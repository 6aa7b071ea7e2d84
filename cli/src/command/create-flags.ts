// create's command line, parsed in two phases like the reference: first the
// driver's name (-d/--driver, else $MACHINE_DRIVER, else the local engine's
// "docker" driver), then the shared flags together with that driver's own
// flags, built from the schema the driver reports.
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { FlagSpec, FlagValues } from '@machine/driver-sdk';
import { discoverDrivers } from '../discovery/discover';
import { MachineError } from '../errors';
import { engineValueProblem } from '../provision/daemon';
import type { EngineOptions, SwarmOptions } from '../store/types';
import type { SwarmCreateValues } from '../swarm/create-options';

export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';

/** The driver named on the command line, in any of the reference's forms; undefined when absent. */
export function scanDriverFlag(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '-d' || a === '--driver' || a === '-driver') return argv[i + 1] ?? '';
    const m = /^(?:-d|--driver|-driver)=(.*)$/.exec(a);
    if (m) return m[1];
    if (/^-d[^=-]/.test(a)) return a.slice(2);
  }
  return undefined;
}

/** Whether a Docker engine answers on the local unix socket ($DOCKER_HOST is ignored on purpose: it may point at a machine). */
export function localEngineReachable(socket = DEFAULT_ENGINE_SOCKET, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!fs.existsSync(socket)) return resolve(false);
    const s = net.connect(socket);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function chooseDriver(argv: string[], env: NodeJS.ProcessEnv, engineReachable: () => Promise<boolean> = localEngineReachable): Promise<string> {
  const named = scanDriverFlag(argv);
  if (named !== undefined) {
    if (!named || named.startsWith('-')) throw new MachineError('usage', 'Error: --driver needs a driver name, e.g. --driver generic');
    return named;
  }
  if (env.MACHINE_DRIVER) return env.MACHINE_DRIVER;
  if (await engineReachable()) return 'docker';
  const found = [...new Set(discoverDrivers({ env }).drivers.map((d) => d.name))].sort();
  throw new MachineError(
    'usage',
    `No driver given and no local Docker engine answers at ${DEFAULT_ENGINE_SOCKET}. Choose a driver with --driver NAME (or MACHINE_DRIVER); drivers found: ${found.length ? found.join(', ') : 'none'}.`,
  );
}

/** A repeatable flag's definition, as far as reading it from the environment goes. */
export interface ListFlagDefinition {
  multiple?: boolean;
  env?: string;
}

/**
 * Repeatable flags read from the environment split on commas, each value
 * trimmed, as Docker Machine's StringSliceFlag does: ENGINE_REGISTRY_MIRROR=
 * "https://a,https://b" gives two mirrors. The parser hands an environment
 * value over as one string; values from the command line are never split.
 */
export function splitListsFromEnv(definitions: Record<string, ListFlagDefinition>, parsed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parsed };
  for (const [name, def] of Object.entries(definitions)) {
    const v = out[name];
    if (def.multiple === true && def.env && typeof v === 'string') out[name] = splitEnvList(v);
  }
  return out;
}

export function splitEnvList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Flag values for the driver's Configure: defaults, overridden by what the user set. */
export function driverFlagValues(schema: FlagSpec[], parsed: Record<string, unknown>): FlagValues {
  const values: FlagValues = {};
  for (const f of schema) {
    const v = parsed[f.name];
    if (v === undefined || v === null) {
      if (f.default !== undefined) values[f.name] = f.default;
      continue;
    }
    if (f.type === 'string-list') values[f.name] = (Array.isArray(v) ? v : [v]).map(String);
    else if (f.type === 'int') values[f.name] = Number(v);
    else if (f.type === 'bool') values[f.name] = v === true || v === 'true';
    else values[f.name] = String(v);
  }
  return values;
}

/** create's shared flags: the engine's, the swarm's (one definition, in swarm/) and --tls-san. */
export interface SharedCreateValues extends SwarmCreateValues {
  'engine-install-url'?: string;
  'engine-opt'?: string[];
  'engine-insecure-registry'?: string[];
  'engine-registry-mirror'?: string[];
  'engine-label'?: string[];
  'engine-storage-driver'?: string;
  'engine-env'?: string[];
  'tls-san'?: string[];
}

const ENGINE_VALUE_FLAGS = ['engine-opt', 'engine-insecure-registry', 'engine-registry-mirror', 'engine-label', 'engine-storage-driver', 'engine-env', 'engine-install-url'] as const;

export function engineOptionsFrom(v: SharedCreateValues): Partial<EngineOptions> {
  for (const flag of ENGINE_VALUE_FLAGS) {
    const given = v[flag];
    for (const value of given === undefined ? [] : Array.isArray(given) ? given : [given]) {
      const problem = engineValueProblem(value);
      if (problem) throw new MachineError('usage', `Error: --${flag} ${JSON.stringify(value)} ${problem}; the daemon's configuration is line-based and cannot hold it`);
    }
  }
  for (const e of v['engine-env'] ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) throw new MachineError('usage', `Error: --engine-env "${e}" must be NAME=VALUE`);
  }
  return {
    ArbitraryFlags: v['engine-opt'] ?? [],
    Env: v['engine-env'] ?? [],
    InsecureRegistry: v['engine-insecure-registry'] ?? [],
    Labels: v['engine-label'] ?? [],
    RegistryMirror: v['engine-registry-mirror'] ?? [],
    StorageDriver: v['engine-storage-driver'] ?? '',
    InstallURL: v['engine-install-url'] || 'https://get.docker.com',
  };
}

export function swarmOptionsFrom(v: SharedCreateValues): Partial<SwarmOptions> {
  const discovery = v['swarm-discovery'] ?? '';
  if (discovery && !/^[^:]*:\/\/.*/.test(discovery)) {
    throw new MachineError('usage', `Swarm Discovery URL was in the wrong format: ${discovery}`);
  }
  const master = v['swarm-master'] === true;
  return {
    IsSwarm: v.swarm === true || master,
    Master: master,
    Agent: v.swarm === true || master,
    Discovery: discovery,
    Image: v['swarm-image'] || 'swarm:latest',
    Strategy: v['swarm-strategy'] || 'spread',
    ArbitraryFlags: v['swarm-opt'] ?? [],
    ArbitraryJoinFlags: v['swarm-join-opt'] ?? [],
    Host: v['swarm-host'] || 'tcp://0.0.0.0:3376',
    Address: v['swarm-addr'] ?? '',
    IsExperimental: v['swarm-experimental'] === true,
  };
}
