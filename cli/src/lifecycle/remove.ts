// rm: the driver removes what it made, then the store entry goes. With
// --force the entry goes even when the driver cannot be reached or the
// record cannot be read, so a broken machine can always be cleaned up.
import type { DriverClient } from '@machine/driver-sdk';
import { forgetMachineContext } from '../contexts/docker-context';
import { errorMessage } from '../errors';
import type { Store } from '../store/store';
import { machineCall } from './machine';

export interface RemoveEnv {
  store: Store;
  registry: { get(name: string): Promise<DriverClient> };
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface RemoveOutcome {
  name: string;
  removed: boolean;
  error?: string;
}

export async function removeMachine(env: RemoveEnv, name: string, force: boolean): Promise<RemoveOutcome> {
  try {
    await env.store.withLock(name, async () => {
      let driverError: unknown;
      try {
        const host = env.store.load(name);
        const driver = await env.registry.get(host.DriverName);
        await driver.remove(machineCall(env.store, host), { timeoutMs: 600_000 });
      } catch (err) {
        driverError = err;
      }
      if (driverError !== undefined) {
        if (!force) throw driverError;
        env.err(`Error removing host "${name}": ${errorMessage(driverError)}`);
        env.err(`Removing the local entry of "${name}" anyway (--force); anything the driver made for it may remain.`);
      }
      env.store.remove(name);
    }, { waitMs: force ? 5_000 : 30_000 });
  } catch (err) {
    if (force) {
      // A lock held by a hung command must not keep a forced removal from happening.
      env.store.remove(name);
      forgetContext(env, name);
      env.out(`Successfully removed ${name}`);
      return { name, removed: true, error: errorMessage(err) };
    }
    return { name, removed: false, error: errorMessage(err) };
  }
  forgetContext(env, name);
  env.out(`Successfully removed ${name}`);
  return { name, removed: true };
}

/** The machine's docker context goes with it; a context that cannot be removed never fails rm. */
function forgetContext(env: RemoveEnv, name: string): void {
  try {
    forgetMachineContext(process.env, env.store.root, name);
  } catch (err) {
    env.err(`Warning: could not remove the docker context of "${name}": ${errorMessage(err)}`);
  }
}
