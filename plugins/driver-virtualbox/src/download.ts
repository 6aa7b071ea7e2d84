// Guest images: downloaded once into the store's cache, resumed with an
// HTTP Range request after an interruption, checked against a SHA-256
// (given, or from SHA256SUMS beside the image) and reported as a progress
// bar of 10% steps.
import { setTimeout as delay } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DriverError } from '@machine/driver-sdk';
import { HostLock } from './vboxmanage';

export interface DownloadOptions {
  url: string;
  /** Expected SHA-256 in hex; "" to look for SHA256SUMS beside the image. */
  checksum: string;
  cacheDir: string;
  flag: string;
  signal?: AbortSignal;
  progress(message: string): void;
  warn(summary: string, detail?: string): void;
  /** Attempts for one download, each resuming where the last stopped. */
  attempts?: number;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function isRemote(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** A local path for file:// URLs and plain paths. */
export function localPath(url: string): string {
  return /^file:\/\//i.test(url) ? fileURLToPath(url) : url;
}

/** The name the image gets in the cache: its URL's last segment, made safe. */
export function cacheName(url: string): string {
  const base = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'image');
  return base.replace(/[^A-Za-z0-9._-]/g, '_') || 'image';
}

/** Finds the image's line in a SHA256SUMS file ("HEX *name" or "HEX  name"). */
export function checksumFromSums(sums: string, name: string): string | undefined {
  for (const line of sums.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m && m[2].trim() === name) return m[1].toLowerCase();
  }
  return undefined;
}

async function lookUpChecksum(url: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  const sumsUrl = new URL('SHA256SUMS', url).toString();
  try {
    const res = await fetch(sumsUrl, { signal });
    if (!res.ok) return undefined;
    return checksumFromSums(await res.text(), decodeURIComponent(new URL(url).pathname.split('/').pop() ?? ''));
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined;
  }
}

function fail(o: DownloadOptions, summary: string, detail?: string): DriverError {
  return new DriverError('unavailable', summary, { detail, flag: o.flag });
}

/** The image as a local file: the cached copy when it is still good, else a fresh (or resumed) download. */
export async function fetchImage(o: DownloadOptions): Promise<string> {
  if (!isRemote(o.url)) {
    const file = localPath(o.url);
    try {
      await fs.access(file);
    } catch {
      throw new DriverError('invalid-argument', `--${o.flag}: ${file} does not exist`, { flag: o.flag });
    }
    if (o.checksum) await verify(o, file, o.checksum, false);
    return file;
  }

  const dir = path.join(o.cacheDir, createHash('sha256').update(o.url).digest('hex').slice(0, 16));
  await fs.mkdir(dir, { recursive: true });
  // Parallel creates share one download: the others wait, then find it in the cache.
  return new HostLock(path.join(dir, '.lock')).run(() => fetchIntoCache(o, dir), o.signal);
}

async function fetchIntoCache(o: DownloadOptions, dir: string): Promise<string> {
  const target = path.join(dir, cacheName(o.url));
  const partial = `${target}.part`;
  const expected = o.checksum || (await lookUpChecksum(o.url, o.signal));

  if (await exists(target)) {
    if (!expected) return target;
    if ((await sha256File(target)) === expected) {
      o.progress(`Using the cached image ${target}`);
      return target;
    }
    // A newer image was published under the same name (or the file was damaged): fetch it again.
    await fs.rm(target, { force: true });
  }

  const attempts = o.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      await downloadTo(o, partial);
      break;
    } catch (err) {
      if (o.signal?.aborted) throw new DriverError('cancelled', 'cancelled while downloading the image');
      if (err instanceof DriverError || attempt >= attempts) {
        throw err instanceof DriverError ? err : fail(o, `cannot download ${o.url}: ${(err as Error).message}`, `Run create again: the download resumes from ${partial}.`);
      }
      o.progress(`Download interrupted (${(err as Error).message}); resuming`);
      await delay(200 * attempt);
    }
  }
  if (expected) await verify(o, partial, expected, true);
  else o.warn(`the image ${o.url} was not verified: no --virtualbox-image-checksum, and no SHA256SUMS beside it`);
  await fs.rename(partial, target);
  return target;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function verify(o: DownloadOptions, file: string, expected: string, removeOnMismatch: boolean): Promise<void> {
  const actual = await sha256File(file);
  if (actual === expected) return;
  if (removeOnMismatch) await fs.rm(file, { force: true });
  throw new DriverError('invalid-argument', `the image ${o.url} has SHA-256 ${actual}, not the expected ${expected}: refusing to use it`, {
    flag: o.flag,
    detail: 'Check --virtualbox-image-checksum, or the SHA256SUMS published with the image.',
  });
}

/** One GET into `partial`, continuing after the bytes already there when the server allows it. */
async function downloadTo(o: DownloadOptions, partial: string): Promise<void> {
  let have = 0;
  try {
    have = (await fs.stat(partial)).size;
  } catch {
    have = 0;
  }
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  const res = await fetch(o.url, { headers, signal: o.signal });
  if (res.status === 416 && have > 0) {
    // The partial file is already complete (or larger than the image): start over.
    await res.body?.cancel();
    await fs.rm(partial, { force: true });
    throw new Error('the partial download does not match the image');
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new DriverError(res.status === 404 ? 'invalid-argument' : 'unavailable', `cannot download ${o.url}: HTTP ${res.status} ${res.statusText}`, { flag: o.flag });
  }
  const resumed = res.status === 206;
  if (!resumed) have = 0;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? have + length : NaN;
  o.progress(resumed ? `Resuming the download of ${o.url} at ${have} bytes` : `Downloading ${o.url}`);

  const file = await fs.open(partial, resumed ? 'a' : 'w');
  let received = have;
  let shown = Number.isFinite(total) && total > 0 ? Math.floor((have / total) * 10) : 0;
  let bar = '';
  for (let step = 0; step <= shown && Number.isFinite(total); step++) bar += step === 0 ? '0%' : `....${step * 10}%`;
  try {
    for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      await file.write(chunk as Uint8Array);
      received += (chunk as Uint8Array).length;
      if (Number.isFinite(total) && total > 0) {
        const step = Math.floor((received / total) * 10);
        if (step > shown) {
          for (let s = shown + 1; s <= step; s++) bar += s === 0 ? '0%' : `....${s * 10}%`;
          shown = step;
          o.progress(bar);
        }
      }
    }
  } finally {
    await file.close();
  }
  if (Number.isFinite(total) && received < total) throw new Error(`connection closed after ${received} of ${total} bytes`);
}
