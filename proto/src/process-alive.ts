// The one answer to "is this process still running?" for the core, the SDK
// and the drivers: locks, lifelines and build guards all ask it.
import * as fs from 'node:fs';

/**
 * Whether `pid` names a live process on this host. A zombie (exited, not yet
 * reaped by its parent) counts as gone: it will never release anything.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it runs, under another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // Raced with its exit, or /proc is hidden from us: trust kill(0).
    return fs.existsSync(`/proc/${pid}`) || !fs.existsSync('/proc/self');
  }
}
