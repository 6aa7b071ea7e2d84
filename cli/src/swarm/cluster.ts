// Swarm-mode clusters of machines: initialise, join, leave, and what the
// store records about each member. The record reuses Docker Machine's
// SwarmOptions where a field fits (so its ls and env --swarm still make
// sense) and keeps the rest under the extra key's "Swarm".
import { setTimeout as delay } from 'node:timers/promises';
import type { DaemonTarget } from '../certs/tls-check';
import { MachineError, errorMessage } from '../errors';
import { machineTLS, setExtra } from '../lifecycle/machine';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import * as engine from './engine';
import type { SwarmRole } from './engine';
import { DISCOVERY_SCHEME, swarmRecord, type SwarmRecord } from './record';

export { swarmRecord, type SwarmRecord } from './record';

/** SwarmOptions.Host for members: the engine port (see recordSwarm). */
const ENGINE_PORT_HOST = 'tcp://0.0.0.0:2376';
const SWARM_PORT = 2377;

export function recordSwarm(host: HostConfig, rec: SwarmRecord | undefined): void {
  const so = host.HostOptions.SwarmOptions;
  if (!rec) {
    Object.assign(so, { IsSwarm: false, Master: false, Agent: false, Discovery: '', Address: '' });
    setExtra(host, { Swarm: undefined });
    return;
  }
  // Host names the engine port: Docker Machine's `env --swarm` then points at a manager's engine, which is where swarm mode answers.
  Object.assign(so, { IsSwarm: true, Master: rec.Role === 'manager', Agent: true, Discovery: `${DISCOVERY_SCHEME}${rec.ClusterID}`, Host: ENGINE_PORT_HOST, Address: rec.AdvertiseAddr });
  setExtra(host, { Swarm: { ...rec } });
}

/** The machine's engine endpoint with its client certificate. */
export function engineTarget(store: Store, host: HostConfig): DaemonTarget {
  const url = host.Machine?.LastURL;
  if (!url) throw new MachineError('swarm', `"${host.Name}" has no known engine URL; start it and run "machine env ${host.Name}" first`);
  return { url, ...machineTLS(store, host), timeoutMs: 30_000 };
}

function hostOfURL(url: string): string {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)/.exec(url);
  return m ? m[1].replace(/^\[|\]$/g, '') : '';
}

/** The address other nodes reach this one at: the one given, else the machine's IP. */
export function advertiseAddress(host: HostConfig, given?: string): string {
  const addr = given || host.Machine?.LastIP || hostOfURL(host.Machine?.LastURL ?? '');
  if (!addr) throw new MachineError('swarm', `no address known for "${host.Name}"; give one with --swarm-advertise-addr`);
  return addr;
}

export interface ManagerCheck {
  host: HostConfig;
  target: DaemonTarget;
  info: engine.SwarmInfo;
}

/**
 * How a caller reaches a machine's engine: its live URL once the machine is
 * known to run (env's connection check), or a MachineError saying why not.
 */
export type ReachEngine = (host: HostConfig) => Promise<string>;

/**
 * The named machine, verified to be a running, reachable, active swarm
 * manager. `reach` asks the driver first, so a stopped machine is named as
 * such at once instead of after a connection timeout.
 */
export async function checkManager(store: Store, name: string, reach?: ReachEngine, flag = '--swarm-join'): Promise<ManagerCheck> {
  if (!store.exists(name)) throw new MachineError('not-found', `${flag}: no machine named "${name}"; "machine ls" lists the machines`);
  const host = store.load(name);
  let target = engineTarget(store, host);
  if (reach) {
    let url: string;
    try {
      url = await reach(host);
    } catch (err) {
      if (MachineError.is(err, 'not-running')) throw new MachineError('swarm', `${flag}: "${name}" is not running; start it with "machine start ${name}"`, { cause: err });
      throw new MachineError('swarm', `${flag}: cannot reach "${name}": ${errorMessage(err)}`, { cause: err });
    }
    target = { ...target, url };
  }
  let info: engine.SwarmInfo;
  try {
    info = await engine.swarmInfo(target);
  } catch (err) {
    throw new MachineError('swarm', `${flag}: the engine of "${name}" does not answer (${errorMessage(err)}); is the machine running?`, { cause: err });
  }
  if (info.state !== 'active' || !info.isManager) {
    throw new MachineError('swarm', `${flag}: "${name}" is not a swarm manager; create one with "machine create --swarm-mode manager" or run "machine swarm init ${name}"`);
  }
  return { host, target, info };
}

async function inactiveOrFail(host: HostConfig, target: DaemonTarget): Promise<void> {
  const info = await engine.swarmInfo(target);
  if (info.state !== 'inactive') throw new MachineError('swarm', `"${host.Name}" is already in a swarm (state ${info.state}); "machine swarm leave ${host.Name}" first`);
}

/** Makes the machine the first manager of a new swarm and records it. */
export async function initCluster(store: Store, host: HostConfig, advertiseAddr?: string): Promise<SwarmRecord> {
  const target = engineTarget(store, host);
  await inactiveOrFail(host, target);
  const addr = advertiseAddress(host, advertiseAddr);
  const nodeID = await engine.initSwarm(target, addr);
  const info = await engine.swarmInfo(target);
  const rec: SwarmRecord = { Role: 'manager', ClusterID: info.clusterID, NodeID: nodeID || info.nodeID, AdvertiseAddr: addr };
  recordSwarm(host, rec);
  return rec;
}

/** Joins the machine to the manager's swarm as `role`; the token goes from one engine to the other in memory only. */
export async function joinCluster(store: Store, host: HostConfig, role: SwarmRole, manager: ManagerCheck, advertiseAddr?: string): Promise<SwarmRecord> {
  const target = engineTarget(store, host);
  await inactiveOrFail(host, target);
  const addr = advertiseAddress(host, advertiseAddr);
  const token = await engine.joinToken(manager.target, role);
  const remote = manager.info.nodeAddr || advertiseAddress(manager.host);
  await engine.joinSwarm(target, { advertiseAddr: addr, remoteAddr: `${remote.includes(':') ? `[${remote}]` : remote}:${SWARM_PORT}`, token });
  const info = await engine.swarmInfo(target);
  const rec: SwarmRecord = { Role: role, ClusterID: info.clusterID || manager.info.clusterID, NodeID: info.nodeID, AdvertiseAddr: addr };
  recordSwarm(host, rec);
  return rec;
}

/** Other machines recorded as managers of the same cluster. */
export function otherManagers(store: Store, host: HostConfig, clusterID: string): HostConfig[] {
  const out: HostConfig[] = [];
  for (const e of store.list()) {
    if (!e.host || e.host.Name === host.Name) continue;
    const r = swarmRecord(e.host);
    if (r && r.Role === 'manager' && r.ClusterID === clusterID) out.push(e.host);
  }
  return out;
}

/** A manager of the cluster that answers, other than `host`; undefined when none does. */
export async function reachableManager(store: Store, host: HostConfig, clusterID: string): Promise<DaemonTarget | undefined> {
  for (const m of otherManagers(store, host, clusterID)) {
    try {
      const target = engineTarget(store, m);
      const info = await engine.swarmInfo(target);
      if (info.isManager && info.clusterID === clusterID) return target;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/**
 * Whether taking one manager out of the cluster leaves a working majority:
 * the managers still reachable afterwards must be a majority of the managers
 * left, and at least one must be left.
 */
export function quorumAfterRemoval(nodes: engine.SwarmNode[], nodeID: string): { ok: boolean; reason: string } {
  const managers = nodes.filter((n) => n.role === 'manager');
  const left = managers.filter((n) => n.id !== nodeID);
  const reachableLeft = left.filter((n) => n.reachability === 'reachable').length;
  if (left.length === 0) return { ok: false, reason: 'it is the last manager of its swarm' };
  const needed = Math.floor(left.length / 2) + 1;
  if (reachableLeft < needed) {
    return { ok: false, reason: `only ${reachableLeft} of the ${left.length} other managers are reachable, and ${needed} are needed for quorum` };
  }
  return { ok: true, reason: '' };
}

/** Whether the managers reachable now are a majority: raft makes no change without one, a demotion included. */
export function quorumNow(nodes: engine.SwarmNode[]): { ok: boolean; reason: string } {
  const managers = nodes.filter((n) => n.role === 'manager');
  const reachable = managers.filter((n) => n.reachability === 'reachable').length;
  const needed = Math.floor(managers.length / 2) + 1;
  if (reachable < needed) return { ok: false, reason: `its swarm has lost quorum: only ${reachable} of its ${managers.length} managers are reachable, and ${needed} are needed` };
  return { ok: true, reason: '' };
}

export interface LeaveLog {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Takes the machine out of its swarm: a manager is demoted first, then the
 * node leaves and is removed from the cluster's node list. A node that does
 * not run or answer is taken out by another manager instead. Refuses when
 * the cluster would lose quorum, unless `force` (which warns and goes ahead).
 * `isRunning`, when given, asks the driver first, so that a stopped machine
 * costs no connection timeout.
 */
export async function leaveCluster(store: Store, host: HostConfig, force: boolean, log: LeaveLog, isRunning?: (h: HostConfig) => Promise<boolean>): Promise<void> {
  const rec = swarmRecord(host);
  if (!rec) return;
  const target = engineTarget(store, host);
  let info: engine.SwarmInfo | undefined;
  let unreachable = '';
  try {
    if (isRunning && !(await isRunning(host))) unreachable = 'it is not running';
    else info = await engine.swarmInfo(target);
  } catch (err) {
    unreachable = errorMessage(err);
  }
  if (!info) {
    await removeFromOutside(store, host, rec, unreachable, force, log);
    return;
  }
  const nodeID = info.nodeID || rec.NodeID;
  if (rec.Role === 'manager' && info.isManager) {
    const nodes = await engine.listNodes(target);
    const quorum = quorumAfterRemoval(nodes, nodeID);
    if (!quorum.ok) {
      if (!force) throw new MachineError('swarm', `Refusing to take "${host.Name}" out of its swarm: ${quorum.reason}. Use --force to do it anyway.`);
      log.err(`Warning: taking "${host.Name}" out of its swarm loses quorum: ${quorum.reason}.`);
      await engine.leaveSwarm(target, true).catch((e: unknown) => log.err(`Warning: ${errorMessage(e)}`));
      recordSwarm(host, undefined);
      return;
    }
    await engine.setNodeRole(target, nodeID, 'worker');
    // The demotion reaches the node through the raft log; leaving before it arrives is refused.
    await waitUntil(async () => !(await engine.swarmInfo(target)).isManager, 30_000);
    log.out(`Demoted "${host.Name}" to a swarm worker.`);
  }
  if (info.state !== 'inactive') {
    await engine.leaveSwarm(target, force).catch((e: unknown) => {
      if (!force) throw e;
      log.err(`Warning: ${errorMessage(e)}`);
    });
  }
  const manager = await reachableManager(store, host, rec.ClusterID);
  if (manager) {
    // The node is marked down a moment after it leaves; force removes it either way.
    await engine.removeNode(manager, nodeID).catch((e: unknown) => log.err(`Warning: could not remove node ${nodeID} from the swarm: ${errorMessage(e)}`));
  }
  recordSwarm(host, undefined);
  log.out(`"${host.Name}" left its swarm.`);
}

/**
 * A node that cannot leave by itself (stopped, or not answering) is removed
 * by a manager of its swarm that answers; a manager is demoted first, when
 * the managers left keep quorum.
 */
async function removeFromOutside(store: Store, host: HostConfig, rec: SwarmRecord, why: string, force: boolean, log: LeaveLog): Promise<void> {
  const manager = await reachableManager(store, host, rec.ClusterID);
  const refuse = (reason: string): void => {
    if (!force) throw new MachineError('swarm', `Refusing to take "${host.Name}" out of its swarm: ${reason}. Use --force to do it anyway.`);
    log.err(`Warning: "${host.Name}" leaves its swarm uncleanly: ${reason}.`);
    recordSwarm(host, undefined);
  };
  if (!manager) {
    // A worker's swarm without a manager that answers has nothing to lose by a record going.
    if (rec.Role === 'worker') {
      log.err(`Warning: "${host.Name}" could not be removed from its swarm: ${why}, and no other manager of its swarm answers.`);
      recordSwarm(host, undefined);
      return;
    }
    refuse(`${why}, and no other manager of its swarm answers`);
    return;
  }
  const nodes = await engine.listNodes(manager);
  if (!nodes.some((n) => n.id === rec.NodeID)) {
    // Already removed (by hand, or by an earlier attempt): only the record is left to clear.
    recordSwarm(host, undefined);
    log.out(`"${host.Name}" is no longer in its swarm.`);
    return;
  }
  if (rec.Role === 'manager') {
    const now = quorumNow(nodes);
    const quorum = now.ok ? quorumAfterRemoval(nodes, rec.NodeID) : now;
    if (!quorum.ok) {
      refuse(quorum.reason);
      return;
    }
    await engine.setNodeRole(manager, rec.NodeID, 'worker');
    // A node still in the raft membership cannot be removed.
    await waitUntil(async () => (await engine.listNodes(manager)).some((n) => n.id === rec.NodeID && n.role === 'worker' && n.reachability === undefined), 30_000);
    log.out(`Demoted "${host.Name}" to a swarm worker (${why}).`);
  }
  await engine.removeNode(manager, rec.NodeID).catch((e: unknown) => {
    if (!force) throw e;
    log.err(`Warning: could not remove node ${rec.NodeID} from the swarm: ${errorMessage(e)}`);
  });
  recordSwarm(host, undefined);
  log.out(`"${host.Name}" was removed from its swarm (${why}).`);
}

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new MachineError('timeout', `no change within ${Math.round(timeoutMs / 1000)} s`);
    await delay(300);
  }
}
