// Where the store lives: --storage-path, else MACHINE_STORAGE_PATH, else ~/.docker/machine.
import * as os from 'node:os';
import * as path from 'node:path';

export function defaultStoragePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MACHINE_STORAGE_PATH;
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(os.homedir(), '.docker', 'machine');
}
