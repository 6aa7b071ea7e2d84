// A create that did not finish is marked in the machine's record, under the
// store's own "Machine" key (the reference ignores it, so its config.json
// stays readable by docker-machine). The mark is written before the driver
// makes anything and cleared when the create succeeds, so a create killed
// with SIGKILL, or a rollback that could not undo everything, stays visible
// in `ls` until `machine rm -f` finishes it.
import type * as ProcessAlive from '@machine/driver-sdk/process-alive';
import type { HostConfig } from './types';

export const INCOMPLETE_KEY = 'CreateIncomplete';

export interface IncompleteMark {
  [key: string]: string | number;
  /** The creating process. */
  Pid: number;
  Since: string;
  /** Why it stopped, once known ("" while the create runs). */
  Reason: string;
}

export function markIncomplete(host: HostConfig, reason = ''): void {
  const mark: IncompleteMark = { Pid: process.pid, Since: new Date().toISOString(), Reason: reason };
  host.Machine = { ...(host.Machine ?? {}), [INCOMPLETE_KEY]: mark };
}

export function clearIncomplete(host: HostConfig): void {
  if (!host.Machine || !(INCOMPLETE_KEY in host.Machine)) return;
  const rest = { ...host.Machine };
  delete rest[INCOMPLETE_KEY];
  host.Machine = rest;
}

export function incompleteMark(host: HostConfig): IncompleteMark | undefined {
  const m = host.Machine?.[INCOMPLETE_KEY] as Partial<IncompleteMark> | undefined;
  if (!m || typeof m !== 'object' || typeof m.Pid !== 'number') return undefined;
  return { Pid: m.Pid, Since: String(m.Since ?? ''), Reason: String(m.Reason ?? '') };
}

/** The line `ls` shows for a machine whose create did not finish; undefined while it still runs. */
export function incompleteProblem(host: HostConfig): string | undefined {
  const mark = incompleteMark(host);
  if (!mark) return undefined;
  const finish = `Remove it with "machine rm -f ${host.Name}"`;
  if (mark.Reason) return `create did not finish: ${mark.Reason}. ${finish}`;
  // Loaded only for a marked machine: resolving the SDK package is a few ms of every ls otherwise.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isProcessAlive } = require('@machine/driver-sdk/process-alive') as typeof ProcessAlive;
  if (mark.Pid !== process.pid && isProcessAlive(mark.Pid)) return undefined;
  return `create was interrupted (process ${mark.Pid} is gone); what it made may remain. ${finish}`;
}
