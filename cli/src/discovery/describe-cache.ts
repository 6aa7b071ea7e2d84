/**
 * Metadata and flag schema of driver executables, cached in
 * <store>/cache/drivers.json by path, size and mtime, so `driver ls`,
 * `driver inspect` and `create --help` need not start a driver whose binary
 * has not changed. The file is a cache: delete it at any time.
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

interface CacheEntry extends DriverDescription {
  size: number;
  mtimeMs: number;
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
  let st: fs.Stats;
  try {
    st = fs.statSync(loc.path);
  } catch {
    return undefined;
  }
  const hit = readCache(storeRoot)[loc.path];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return { metadata: hit.metadata, schema: hit.schema };
  return undefined;
}

export async function describeDriver(registry: DriverRegistry, loc: DriverLocation, storeRoot: string): Promise<DriverDescription> {
  const cached = cachedDescription(loc, storeRoot);
  if (cached) return cached;
  const client = await registry.get(loc.name);
  const schema = await client.schema({ timeoutMs: 30_000 });
  const desc: DriverDescription = { metadata: client.metadata, schema };
  try {
    const st = fs.statSync(loc.path);
    mkdirPrivate(path.dirname(cachePath(storeRoot)));
    const cache = readCache(storeRoot);
    cache[loc.path] = { ...desc, size: st.size, mtimeMs: st.mtimeMs };
    writeFileAtomicSync(cachePath(storeRoot), JSON.stringify(cache, null, 2), 0o600);
  } catch {
    // An unwritable cache only costs a driver start next time.
  }
  return desc;
}
