// A command's lines go straight to file descriptors 1 and 2. The first use of
// process.stdout builds Node's stream machinery (node:stream and its parts:
// about 4 ms, a tenth of `inspect`'s whole run) only to make one synchronous
// write, which is what Node does for files and pipes on Linux anyway.
import * as fs from 'node:fs';

/** Descriptors whose reader has gone (`machine ls | head -1`): further output is dropped, as it is lost anyway. */
const closed = new Set<number>();

function writeAll(fd: number, text: string): void {
  if (closed.has(fd)) return;
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        closed.add(fd);
        return;
      }
      // A descriptor someone else made non-blocking: wait for room and go on.
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Writes `s` and a newline to standard output. */
export function writeOut(s: string): void {
  writeAll(1, s + '\n');
}

/** Writes `s` to standard output as it is. */
export function writeOutRaw(s: string): void {
  writeAll(1, s);
}

/** Writes `s` and a newline to standard error. */
export function writeErr(s: string): void {
  writeAll(2, s + '\n');
}
