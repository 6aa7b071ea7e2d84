// A cross-process lock file. Parallel creates each run in their own driver
// process, and the engine does not serialise "create network if absent".
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { sleep } from './wait';

const STALE_MS = 30_000;

export async function withLock<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const file = path.join(os.tmpdir(), `machine-driver-docker-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`);
  for (;;) {
    try {
      const handle = await fs.open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stat = await fs.stat(file).catch(() => undefined);
      // A holder that died leaves its file behind; age tells.
      if (stat && Date.now() - stat.mtimeMs > STALE_MS) await fs.rm(file, { force: true });
      else await sleep(50, signal);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}
