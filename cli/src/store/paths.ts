// Where the store lives: --storage-path, else MACHINE_STORAGE_PATH, else ~/.docker/machine.
import type * as OS from 'node:os';
import * as path from 'node:path';

/**
 * os.homedir(), without loading node:os (about 0.4 ms of every command)
 * when HOME is set: os.homedir() answers HOME as it is, even empty, and
 * asks the password database only when it is unset.
 */
export function homeDirectory(): string {
  const home = process.env.HOME;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return home !== undefined ? home : (require('node:os') as typeof OS).homedir();
}

export function defaultStoragePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MACHINE_STORAGE_PATH;
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(homeDirectory(), '.docker', 'machine');
}
