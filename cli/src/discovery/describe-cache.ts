/**
 * Metadata and flag schema of driver executables, cached in
 * <store>/cache/drivers.json by path, so `driver ls`, `driver inspect` and
 * `create --help` need not start a driver whose code has not changed. The
 * file is a cache: delete it at any time.
 *
 * An entry is valid while every file it was read from is unchanged (size,
 * mtime, ctime and inode): the file found (symlinks resolved) and the real
 * program behind it, which the running driver process tells: its executable
 * (a wrapper that execs a rebuilt binary) and, when that is an interpreter,
 * its script. A rebuild writes a new file or a new inode, so it is noticed
 * even behind an unchanged wrapper.
 *
 *   describeDriver(registry, location, storeRoot) → DriverDescription
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DriverMetadata, FlagSpec } from '@machine/driver-sdk';
import { mkdirPrivate, writeFileAtomicSync } from '../store/atomic';
import type { DriverLocation } from './discover';
import type { DriverRegistry } from './registry';

export interface DriverDescription {
  metadata: DriverMetadata;
  schema: FlagSpec[];
}

interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

interface CacheEntry extends DriverDescription {
  files: FileStamp[];
}

function stamp(file: string): FileStamp | undefined {
  try {
    const st = fs.statSync(file);
    return { path: file, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  } catch {
    return undefined;
  }
}

function unchanged(s: FileStamp): boolean {
  const now = stamp(s.path);
  return !!now && now.size === s.size && now.mtimeMs === s.mtimeMs && now.ctimeMs === s.ctimeMs && now.ino === s.ino;
}

const INTERPRETER = /^(node|nodejs|python[0-9.]*|sh|bash|dash|ruby|perl)$/;

/** The files a running driver's code comes from, as far as /proc tells (Linux); the path found otherwise. */
function codeFiles(pid: number | undefined, found: string): string[] {
  const files = new Set<string>();
  try {
    files.add(fs.realpathSync(found));
  } catch {
    files.add(found);
  }
  if (pid === undefined) return [...files];
  try {
    const exe = fs.readlinkSync(`/proc/${pid}/exe`);
    files.add(exe);
    if (INTERPRETER.test(path.basename(exe))) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const script = argv.slice(1).find((a) => !a.startsWith('-'));
      if (script) files.add(fs.realpathSync(path.resolve(fs.readlinkSync(`/proc/${pid}/cwd`), script)));
    }
  } catch {
    // No /proc, or the process is gone: the path found is all there is to watch.
  }
  return [...files];
}

type CacheFile = Record<string, CacheEntry>;

function cachePath(storeRoot: string): string {
  return path.join(storeRoot, 'cache', 'drivers.json');
}

function readCache(storeRoot: string): CacheFile {
  try {
    const c = JSON.parse(fs.readFileSync(cachePath(storeRoot), 'utf8')) as unknown;
    return c && typeof c === 'object' && !Array.isArray(c) ? (c as CacheFile) : {};
  } catch {
    return {};
  }
}

export function cachedDescription(loc: DriverLocation, storeRoot: string): DriverDescription | undefined {
  const hit = readCache(storeRoot)[loc.path];
  // Entries from before files were recorded are misses.
  if (hit && Array.isArray(hit.files) && hit.files.length > 0 && hit.files.every(unchanged)) return { metadata: hit.metadata, schema: hit.schema };
  return undefined;
}

export async function describeDriver(registry: DriverRegistry, loc: DriverLocation, storeRoot: string): Promise<DriverDescription> {
  const cached = cachedDescription(loc, storeRoot);
  if (cached) return cached;
  const client = await registry.get(loc.name);
  const schema = await client.schema({ timeoutMs: 30_000 });
  const desc: DriverDescription = { metadata: client.metadata, schema };
  try {
    const files = codeFiles(client.pid, loc.path).map(stamp);
    if (files.some((f) => f === undefined)) return desc;
    mkdirPrivate(path.dirname(cachePath(storeRoot)));
    const cache = readCache(storeRoot);
    cache[loc.path] = { ...desc, files: files as FileStamp[] };
    writeFileAtomicSync(cachePath(storeRoot), JSON.stringify(cache, null, 2), 0o600);
  } catch {
    // An unwritable cache only costs a driver start next time.
  }
  return desc;
}
