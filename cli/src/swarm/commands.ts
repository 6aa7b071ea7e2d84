// What `machine swarm init|join|leave|ls` do, on machines that already exist.
import { MachineError } from '../errors';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import * as cluster from './cluster';
import * as engine from './engine';
import type { SwarmRole } from './engine';

function loadExisting(store: Store, name: string): HostConfig {
  if (!store.exists(name)) throw new MachineError('not-found', `Docker machine "${name}" does not exist. Use "machine ls" to list machines.`);
  return store.load(name);
}

/** Fails at once, with what to do, when the machine does not run (instead of after a connection timeout). */
async function running(host: HostConfig, reach: cluster.ReachEngine | undefined): Promise<void> {
  if (!reach) return;
  try {
    await reach(host);
  } catch (err) {
    if (MachineError.is(err, 'not-running')) throw new MachineError('swarm', `"${host.Name}" is not running; start it with "machine start ${host.Name}"`, { cause: err });
    throw err;
  }
}

export async function swarmInit(store: Store, name: string, advertiseAddr?: string, reach?: cluster.ReachEngine): Promise<cluster.SwarmRecord> {
  return store.withLock(name, async () => {
    const host = loadExisting(store, name);
    await running(host, reach);
    const rec = await cluster.initCluster(store, host, advertiseAddr);
    store.save(host);
    return rec;
  });
}

export async function swarmJoin(store: Store, name: string, managerName: string, role: SwarmRole, advertiseAddr?: string, reach?: cluster.ReachEngine): Promise<cluster.SwarmRecord> {
  if (name === managerName) throw new MachineError('usage', `Error: "${name}" cannot join its own swarm`);
  const manager = await cluster.checkManager(store, managerName, reach, '--manager');
  return store.withLock(name, async () => {
    const host = loadExisting(store, name);
    await running(host, reach);
    const rec = await cluster.joinCluster(store, host, role, manager, advertiseAddr);
    store.save(host);
    return rec;
  });
}

export async function swarmLeave(store: Store, name: string, force: boolean, log: cluster.LeaveLog): Promise<void> {
  await store.withLock(name, async () => {
    const host = loadExisting(store, name);
    if (!cluster.swarmRecord(host)) throw new MachineError('usage', `"${name}" is not in a swarm made by machine`);
    await cluster.leaveCluster(store, host, force, log);
    store.save(host);
  });
}

export interface SwarmNodeRow {
  machine: string;
  node: engine.SwarmNode;
}

/** The cluster's nodes as its manager sees them, each with the machine it runs on when there is one. */
export async function swarmNodes(store: Store, name: string): Promise<SwarmNodeRow[]> {
  const host = loadExisting(store, name);
  const rec = cluster.swarmRecord(host);
  if (!rec) throw new MachineError('usage', `"${name}" is not in a swarm made by machine`);
  const target = rec.Role === 'manager' ? cluster.engineTarget(store, host) : await cluster.reachableManager(store, host, rec.ClusterID);
  if (!target) throw new MachineError('swarm', `no manager of the swarm of "${name}" answers`);
  const byNode = new Map<string, string>();
  for (const e of store.list()) {
    const r = e.host ? cluster.swarmRecord(e.host) : undefined;
    if (r && r.ClusterID === rec.ClusterID) byNode.set(r.NodeID, e.name);
  }
  return (await engine.listNodes(target)).map((node) => ({ machine: byNode.get(node.id) ?? '', node }));
}
