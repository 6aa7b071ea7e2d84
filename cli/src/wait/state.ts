// Waiting for a machine to reach a power state, as the driver reports it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverClient, MachineCall, MachineStateName } from '@machine/driver-sdk';
import { MachineError, errorMessage } from '../errors';

/** Polls the driver until the machine reaches `wanted` (the reference's WaitFor, with a shorter period). */
export async function waitForState(driver: DriverClient, call: MachineCall, wanted: MachineStateName, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string = '';
  for (;;) {
    if (signal?.aborted) throw new MachineError('internal', 'interrupted');
    try {
      const state = await driver.getState(call, { signal, timeoutMs: 30_000 });
      if (state === wanted) return;
      last = state || 'None';
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() >= deadline) {
      throw new MachineError('timeout', `Machine "${call.machine.name}" did not reach state ${wanted} within ${Math.round(timeoutMs / 1000)} s (last: ${last}).`);
    }
    await sleep(500);
  }
}
