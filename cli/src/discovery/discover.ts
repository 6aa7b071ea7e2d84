/**
 * Finding driver executables. Search order, first match wins:
 *   1. MACHINE_DRIVER_PATH directories (files named machine-driver-NAME)
 *   2. standalone drivers added with `machine driver install` (installed.ts), in <data dir>/drivers
 *   3. installed oclif plugins whose package.json has a machine.drivers map
 *   4. bundled drivers: the CLI's own package.json machine.drivers, then ../plugins/driver-*
 *   5. machine-driver-NAME on PATH
 *
 * API:
 *   discoverDrivers(opts?) → { drivers, searched }   every candidate in order; later same-name ones are shadowed
 *   findDriver(name, opts?) → DriverLocation          the winner; MachineError 'driver-not-found' listing what exists
 * Reads only package.json files and directory listings; never starts a driver.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MachineError } from '../errors';
import { driverNameProblem } from '../names';
import { cliRoot } from '../root';
import { homeDirectory } from '../store/paths';

export const DRIVER_PREFIX = 'machine-driver-';

export type DriverSource = 'MACHINE_DRIVER_PATH' | 'installed' | 'plugin' | 'bundled' | 'PATH';

export interface DriverLocation {
  name: string;
  path: string;
  source: DriverSource;
  /** For plugin and bundled drivers: the package that declares it. */
  packageName?: string;
  /** Set on a candidate hidden by an earlier one with the same name: that one's path. */
  shadowedBy?: string;
}

export interface DiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  /** The CLI package root (holds package.json); default: this package. */
  cliRoot?: string;
}

export interface DiscoveryResult {
  drivers: DriverLocation[];
  /** Human-readable list of the places looked at, in order. */
  searched: string[];
}

export function cliPackageRoot(): string {
  return cliRoot();
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface PackageJson {
  name?: string;
  machine?: { drivers?: Record<string, string> };
  oclif?: { plugins?: unknown[] };
  dependencies?: Record<string, string>;
}

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

function declaredDrivers(dir: string, source: DriverSource): DriverLocation[] {
  const pj = readPackageJson(dir);
  const map = pj?.machine?.drivers;
  if (!map || typeof map !== 'object') return [];
  const out: DriverLocation[] = [];
  for (const [name, rel] of Object.entries(map)) {
    if (typeof rel !== 'string') continue;
    const p = path.resolve(dir, rel);
    if (isExecutableFile(p)) out.push({ name, path: p, source, packageName: pj?.name });
  }
  return out;
}

function scanDir(dir: string, source: DriverSource): DriverLocation[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: DriverLocation[] = [];
  for (const f of names.sort()) {
    // machine-driver-NAME.sha256 is an installed driver's recorded digest, not a driver.
    if (!f.startsWith(DRIVER_PREFIX) || f.endsWith('.sha256')) continue;
    const name = f.slice(DRIVER_PREFIX.length).replace(/\.(exe|cmd|bat)$/i, '');
    if (!name) continue;
    const p = path.join(dir, f);
    if (isExecutableFile(p)) out.push({ name, path: p, source });
  }
  return out;
}

/** oclif's data directory for this CLI (where `plugins install` puts packages). */
export function oclifDataDir(env: NodeJS.ProcessEnv): string {
  if (env.MACHINE_DATA_DIR) return env.MACHINE_DATA_DIR;
  const base = env.XDG_DATA_HOME || path.join(homeDirectory(), '.local', 'share');
  return path.join(base, 'machine');
}

/** Where `machine driver install` puts standalone drivers. */
export function installedDriversDir(env: NodeJS.ProcessEnv): string {
  return path.join(oclifDataDir(env), 'drivers');
}

/** Root directories of installed oclif plugins: core (package.json oclif.plugins), user and linked. */
function pluginRoots(cliRoot: string, env: NodeJS.ProcessEnv): { roots: string[]; searched: string[] } {
  const roots: string[] = [];
  const searched: string[] = [];
  const core = readPackageJson(cliRoot)?.oclif?.plugins ?? [];
  for (const p of core) {
    if (typeof p !== 'string' || p.includes('*')) continue;
    try {
      roots.push(path.dirname(require.resolve(`${p}/package.json`, { paths: [cliRoot] })));
    } catch {
      // not installed
    }
  }
  const dataDir = oclifDataDir(env);
  searched.push(`oclif plugins (${path.join(dataDir, 'package.json')})`);
  const user = readPackageJson(dataDir) as { oclif?: { plugins?: { type?: string; name?: string; root?: string }[] } } | undefined;
  for (const p of user?.oclif?.plugins ?? []) {
    if (!p || typeof p !== 'object') continue;
    if (p.type === 'link' && typeof p.root === 'string') roots.push(p.root);
    else if (typeof p.name === 'string') roots.push(path.join(dataDir, 'node_modules', p.name));
  }
  return { roots, searched };
}

export function discoverDrivers(options: DiscoveryOptions = {}): DiscoveryResult {
  const env = options.env ?? process.env;
  const cliRoot = options.cliRoot ?? cliPackageRoot();
  const all: DriverLocation[] = [];
  const searched: string[] = [];

  for (const dir of (env.MACHINE_DRIVER_PATH ?? '').split(path.delimiter).filter(Boolean)) {
    searched.push(`MACHINE_DRIVER_PATH: ${dir}`);
    all.push(...scanDir(dir, 'MACHINE_DRIVER_PATH'));
  }

  searched.push(`installed: ${installedDriversDir(env)}`);
  all.push(...scanDir(installedDriversDir(env), 'installed'));

  const plugins = pluginRoots(cliRoot, env);
  searched.push(...plugins.searched);
  for (const root of plugins.roots) all.push(...declaredDrivers(root, 'plugin'));

  searched.push(`bundled: ${path.join(cliRoot, 'package.json')}`);
  all.push(...declaredDrivers(cliRoot, 'bundled'));
  const pluginsDir = path.resolve(cliRoot, '..', 'plugins');
  searched.push(`bundled: ${path.join(pluginsDir, 'driver-*')}`);
  let pluginDirs: string[] = [];
  try {
    pluginDirs = fs.readdirSync(pluginsDir).filter((d) => d.startsWith('driver-')).sort();
  } catch {
    // a packaged CLI has no sibling plugins directory
  }
  for (const d of pluginDirs) all.push(...declaredDrivers(path.join(pluginsDir, d), 'bundled'));

  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    all.push(...scanDir(dir, 'PATH'));
  }
  searched.push(`PATH: ${DRIVER_PREFIX}NAME`);

  const winner = new Map<string, DriverLocation>();
  const drivers = all.map((d) => {
    const w = winner.get(d.name);
    if (w) return w.path === d.path ? undefined : { ...d, shadowedBy: w.path };
    winner.set(d.name, d);
    return d;
  }).filter((d): d is DriverLocation => d !== undefined);
  return { drivers, searched };
}

/**
 * The same search order as discoverDrivers, but for one name: a stat per
 * directory instead of a listing of every PATH directory.
 */
function findQuick(name: string, options: DiscoveryOptions): DriverLocation | undefined {
  const env = options.env ?? process.env;
  const cliRoot = options.cliRoot ?? cliPackageRoot();
  const file = DRIVER_PREFIX + name;
  for (const dir of (env.MACHINE_DRIVER_PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, file);
    if (isExecutableFile(p)) return { name, path: p, source: 'MACHINE_DRIVER_PATH' };
  }
  const installed = path.join(installedDriversDir(env), file);
  if (isExecutableFile(installed)) return { name, path: installed, source: 'installed' };
  for (const root of pluginRoots(cliRoot, env).roots) {
    const hit = declaredDrivers(root, 'plugin').find((d) => d.name === name);
    if (hit) return hit;
  }
  const bundled = [cliRoot];
  const pluginsDir = path.resolve(cliRoot, '..', 'plugins');
  try {
    for (const d of fs.readdirSync(pluginsDir).filter((x) => x.startsWith('driver-')).sort()) bundled.push(path.join(pluginsDir, d));
  } catch {
    // no sibling plugins directory
  }
  for (const root of bundled) {
    const hit = declaredDrivers(root, 'bundled').find((d) => d.name === name);
    if (hit) return hit;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, file);
    if (isExecutableFile(p)) return { name, path: p, source: 'PATH' };
  }
  return undefined;
}

/** Looks for a single driver; cheaper than discoverDrivers when it is found early. */
/** For a machine whose driver was found once and is gone now (uninstalled). */
export function driverNotInstalledMessage(name: string): string {
  return `driver ${name} is not installed: machine plugins install driver-${name}`;
}

/** A valid driver name that no search found; an invalid name keeps its own message. */
export function isDriverNotFound(err: unknown): boolean {
  return MachineError.is(err, 'driver-not-found');
}

export function findDriver(name: string, options: DiscoveryOptions = {}): DriverLocation {
  const problem = driverNameProblem(name);
  if (problem) throw new MachineError('invalid-driver-name', `Invalid driver name ${JSON.stringify(name)}: ${problem}.`);
  const quick = findQuick(name, options);
  if (quick) return quick;
  const res = discoverDrivers(options);
  const hit = res.drivers.find((d) => d.name === name && !d.shadowedBy);
  if (hit) return hit;
  const names = [...new Set(res.drivers.map((d) => d.name))].sort();
  throw new MachineError(
    'driver-not-found',
    `Driver "${name}" not found. Drivers found: ${names.length ? names.join(', ') : 'none'}.\n` +
      `Looked in:\n${res.searched.map((s) => `  ${s}`).join('\n')}\n` +
      `Install it with "machine plugins install driver-${name}" (the package its vendor publishes), put ${DRIVER_PREFIX}${name} on PATH, ` +
      `or point MACHINE_DRIVER_PATH at the directory holding ${DRIVER_PREFIX}${name}.`,
  );
}
