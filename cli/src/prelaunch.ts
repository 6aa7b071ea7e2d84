// Starting the driver a read command will ask, before the CLI loads itself.
//
// A Node driver needs longer to reach its handshake than the CLI needs to
// load its fast path, so `status NAME`, `ip NAME`, `url NAME` and `ls`
// start the machine's driver first thing (bin/run.js calls this before the
// fast path's bundle loads). The command then runs as usual: its launch
// adopts the process when it is the one it would have started
// (@machine/driver-sdk/prespawn), and a guess that turns out unused is
// killed at exit. A guess is only ever a speed-up: anything unusual (a flag
// this file does not know, a global option, a broken record) starts nothing
// and leaves the command to do what it always does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Names from './names';
import type * as SelfProof from './query/self-proof';
import type * as StorePaths from './store/paths';

/** Commands that ask each named machine's driver (default: the machine "default"). */
const PER_MACHINE = new Set(['status', 'ip', 'url']);
/**
 * Every command that may start a driver ahead. The build records this list
 * in lib/build.json, so bin/run.js loads this module for these commands only.
 */
export const PRELAUNCH_COMMANDS: readonly string[] = [...PER_MACHINE, 'ls'];
/**
 * Each of those, and ls, first lets a machine prove it runs
 * (query/machine-info.ts): the driver of a machine that may is not started
 * here; the command starts it itself when the proof is slow to come. ip
 * needs the IP remembered too.
 */
const MAY_PROVE: Record<string, (record: SelfProof.ProofRecord) => boolean> = {
  status: (r) => proof().urlToProve(r) !== undefined,
  url: (r) => proof().urlToProve(r) !== undefined,
  ip: (r) => proof().rememberedIP(r) !== undefined,
  ls: (r) => proof().urlToProve(r) !== undefined,
};
/** Flags of those commands and of ls that change nothing about which driver runs. */
const HARMLESS_FLAGS = new Set(['--json']);

/** The drivers `argv` will launch, by name, in the order the command asks them; [] when unsure. */
export function driversToPrelaunch(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const [command, ...rest] = argv;
  if (command === undefined || !PRELAUNCH_COMMANDS.includes(command)) return [];
  // Loaded only past that check: every other command starts without them.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { defaultStoragePath } = require('./store/paths') as typeof StorePaths;
  const { isValidMachineName } = require('./names') as typeof Names;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const flags = rest.filter((a) => a.startsWith('-'));
  const names = rest.filter((a) => !a.startsWith('-'));
  if (!flags.every((f) => HARMLESS_FLAGS.has(f))) return [];
  const machines = path.join(defaultStoragePath(env), 'machines');
  let targets: string[];
  if (PER_MACHINE.has(command)) {
    targets = names.length > 0 ? names : ['default'];
  } else if (command === 'ls' && names.length === 0) {
    // As ls itself does: the first machine's driver starts while the store is read.
    const first = firstMachine(machines);
    targets = first ? [first] : [];
  } else {
    return [];
  }
  const drivers: string[] = [];
  for (const name of targets) {
    const record = isValidMachineName(name) ? readRecord(path.join(machines, name, 'config.json')) : undefined;
    if (!record || MAY_PROVE[command]?.(record)) continue;
    const driver = driverOf(record);
    if (driver && !drivers.includes(driver)) drivers.push(driver);
  }
  return drivers;
}

function proof(): typeof SelfProof {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./query/self-proof') as typeof SelfProof;
}

function firstMachine(machinesDir: string): string | undefined {
  try {
    // The same order as Store.names(): directory entries, sorted, no dot-directories.
    return fs
      .readdirSync(machinesDir)
      .filter((n) => !n.startsWith('.'))
      .sort()[0];
  } catch {
    return undefined;
  }
}

function readRecord(configFile: string): (SelfProof.ProofRecord & { DriverName?: unknown }) | undefined {
  try {
    const record: unknown = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    return record !== null && typeof record === 'object' ? record : undefined;
  } catch {
    return undefined;
  }
}

function driverOf(record: { DriverName?: unknown }): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { driverNameProblem } = require('./names') as typeof Names;
  const name = record.DriverName;
  return typeof name === 'string' && driverNameProblem(name) === undefined ? name : undefined;
}

/** Starts the drivers `argv` will need; never throws, never prints. */
export function prelaunch(argv: string[], env: NodeJS.ProcessEnv = process.env): void {
  try {
    for (const name of driversToPrelaunch(argv, env)) startDriverAhead(name, env);
  } catch {
    // the command itself reports whatever is wrong
  }
}

const startedAhead = new Set<string>();

/**
 * Starts the named driver for the command's own launch to adopt later
 * (killed at exit if it never does). Never throws, never prints; does
 * nothing under MACHINE_NO_PRELAUNCH=1.
 */
export function startDriverAhead(name: string, env: NodeJS.ProcessEnv = process.env): void {
  // One process serves all of a command's machines of a driver.
  if (env.MACHINE_NO_PRELAUNCH || startedAhead.has(name)) return;
  startedAhead.add(name);
  try {
    // Loaded only when there is something to start: child_process and discovery.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { prespawnDriver } = require('@machine/driver-sdk/prespawn') as typeof import('@machine/driver-sdk/prespawn');
    const { findDriver } = require('./discovery/discover') as typeof import('./discovery/discover');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const loc = findDriver(name, { env });
    // A standalone driver is checked against its recorded SHA-256 before it
    // runs; that check belongs to the launch itself.
    if (loc.source === 'installed') return;
    prespawnDriver({ path: loc.path, env });
  } catch {
    // the launch that needs it reports whatever is wrong
  }
}
