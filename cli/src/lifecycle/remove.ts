// rm: the driver removes what it made, then the store entry goes. With
// --force the entry goes even when the driver cannot be reached or the
// record cannot be read, so a broken machine can always be cleaned up; but
// never while another live command holds the machine's lock.
import type { DriverClient } from '@machine/driver-sdk';
import { forgetMachineContext } from '../contexts/docker-context';
import { errorMessage } from '../errors';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import { machineCall } from './machine';
import { swarmRecord } from '../swarm/record';

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
  if (env.store.isStrayEntry(name)) {
    // Not a machine (its name is invalid): no driver and no lock, only the directory.
    env.store.removeStray(name);
    env.out(`Successfully removed ${name}`);
    return { name, removed: true };
  }
  try {
    await env.store.withLock(name, async () => {
      // Without config.json no driver is known, so there is nothing to ask it to remove.
      if (!env.store.hasRecord(name)) {
        env.err(`"${name}" has no config.json (an interrupted create?); removing its directory.`);
        env.store.remove(name);
        return;
      }
      let driverError: unknown;
      try {
        const host = env.store.load(name);
        if (swarmRecord(host)) await leaveSwarmFirst(env, host, force);
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
    // Never under a live holder, even with --force: its next save would
    // re-create the directory, and what it is making would be orphaned.
    // A dead holder's lock is taken over by the lock itself.
    const holder = env.store.lockHolder(name);
    if (holder) {
      return {
        name,
        removed: false,
        error: `Cannot remove "${name}": process ${holder.pid}${holder.command ? ` (machine ${holder.command})` : ''} is using it. Let it finish or stop it (kill ${holder.pid}), then retry.`,
      };
    }
    return { name, removed: false, error: errorMessage(err) };
  }
  forgetContext(env, name);
  env.out(`Successfully removed ${name}`);
  return { name, removed: true };
}

/**
 * A swarm node leaves its cluster before its machine goes, so the cluster
 * keeps no dead node and never silently loses quorum. A refusal ends the
 * removal here (the driver is not called); --force goes on with a warning.
 */
async function leaveSwarmFirst(env: RemoveEnv, host: HostConfig, force: boolean): Promise<void> {
  const { leaveCluster } = await import('../swarm/cluster');
  try {
    const isRunning = async (h: HostConfig): Promise<boolean> => (await (await env.registry.get(h.DriverName)).getState(machineCall(env.store, h), { timeoutMs: 60_000 })) === 'Running';
    await leaveCluster(env.store, host, force, { out: env.out, err: env.err }, isRunning);
    env.store.save(host);
  } catch (err) {
    if (!force) throw err;
    env.err(`Warning: "${host.Name}" did not leave its swarm cleanly: ${errorMessage(err)}`);
  }
}

/** The machine's docker context goes with it; a context that cannot be removed never fails rm. */
function forgetContext(env: RemoveEnv, name: string): void {
  try {
    forgetMachineContext(process.env, env.store.root, name);
  } catch (err) {
    env.err(`Warning: could not remove the docker context of "${name}": ${errorMessage(err)}`);
  }
}
