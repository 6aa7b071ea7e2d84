// Crash-safe file replacement. write-file-atomic writes a temporary file next
// to the target, fsyncs it, sets the mode and renames it over the target, so a
// reader sees the old or the new content, never a mix. It does not fsync the
// directory afterwards; we do, so the rename itself survives a power cut.
import * as fs from 'node:fs';
import * as path from 'node:path';
type WriteFileAtomic = typeof import('write-file-atomic');

// Loaded on the first write: read-only commands (ls, env, url) never need it.
let writeFileAtomic: WriteFileAtomic | undefined;

/**
 * Replaces `file` with `data`, leaving it with exactly `mode` whatever the
 * umask (key files must be 0600).
 */
export function writeFileAtomicSync(file: string, data: string | Buffer, mode = 0o600): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  writeFileAtomic ??= require('write-file-atomic') as WriteFileAtomic;
  writeFileAtomic.sync(file, data, { mode });
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** mkdir -p with 0700 on every directory it creates. */
export function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}
