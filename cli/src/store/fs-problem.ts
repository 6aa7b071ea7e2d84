// One clear line for a file-system error on a path the user can fix, instead
// of Node's raw "ENOTDIR: not a directory, scandir '…'".
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The nearest existing ancestor of p (p itself included) that is not a directory, if any. */
function fileInTheWay(p: string): string | undefined {
  for (let cur = path.resolve(p); ; cur = path.dirname(cur)) {
    try {
      return fs.statSync(cur).isDirectory() ? undefined : cur;
    } catch {
      if (path.dirname(cur) === cur) return undefined;
    }
  }
}

/**
 * What went wrong with `p`, worded for the user. `what` names the path's
 * role ("the machine store", "the CA certificate").
 */
export function fsProblem(what: string, p: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    const blocker = fileInTheWay(path.dirname(p)) ?? fileInTheWay(p);
    if (blocker) return `Cannot use ${what} ${p}: ${blocker} is a file, not a directory. Move it away or choose another path.`;
  }
  if (code === 'EISDIR') return `Cannot read ${what} ${p}: it is a directory, not a file. Move it away and try again.`;
  if (code === 'EACCES' || code === 'EPERM') return `Cannot access ${what} ${p}: permission denied.`;
  if (code === 'ENOENT') return `${what[0].toUpperCase()}${what.slice(1)} ${p} does not exist.`;
  return `Cannot use ${what} ${p}: ${err instanceof Error ? err.message : String(err)}`;
}

/** Why the store root cannot be used: it, or an ancestor, is a file. */
export function storeRootProblem(root: string): string | undefined {
  const blocker = fileInTheWay(root);
  return blocker ? `Cannot use the machine store ${root}: ${blocker} is a file, not a directory. Point --storage-path (or MACHINE_STORAGE_PATH) at a directory.` : undefined;
}
