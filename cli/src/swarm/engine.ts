// The swarm-mode part of the Docker Engine API, spoken over a machine's TLS
// endpoint with the client certificate. Join tokens only pass through memory.
import { daemonRequest, type DaemonTarget } from '../certs/tls-check';
import { MachineError } from '../errors';

export type SwarmRole = 'manager' | 'worker';

export interface SwarmInfo {
  /** "inactive", "pending", "active", "error" or "locked". */
  state: string;
  nodeID: string;
  clusterID: string;
  isManager: boolean;
  nodeAddr: string;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  role: SwarmRole;
  state: string;
  availability: string;
  /** Managers only: "reachable" or "unreachable". */
  reachability?: string;
  leader: boolean;
  addr: string;
}

interface NodeJSON {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { Role: SwarmRole };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** The engine API's message for an error answer ({"message": ...}), else the raw body. */
function apiMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return body.trim();
}

async function call<T>(t: DaemonTarget, method: string, apiPath: string, body?: unknown): Promise<T> {
  const r = await daemonRequest(t, method, apiPath, body);
  if (r.status < 200 || r.status >= 300) {
    throw new MachineError('swarm', `${method} ${apiPath.replace(/\?.*$/, '')} on ${t.url}: ${apiMessage(r.body)} (HTTP ${r.status})`);
  }
  return (r.body.trim() === '' ? undefined : JSON.parse(r.body)) as T;
}

export async function swarmInfo(t: DaemonTarget): Promise<SwarmInfo> {
  const info = await call<{ Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean; NodeAddr?: string; Cluster?: { ID?: string } } }>(t, 'GET', '/info');
  const s = info.Swarm ?? {};
  return {
    state: s.LocalNodeState || 'inactive',
    nodeID: s.NodeID ?? '',
    clusterID: s.Cluster?.ID ?? '',
    isManager: s.ControlAvailable === true,
    nodeAddr: s.NodeAddr ?? '',
  };
}

export async function initSwarm(t: DaemonTarget, advertiseAddr: string): Promise<string> {
  return call<string>(t, 'POST', '/swarm/init', { ListenAddr: '0.0.0.0:2377', AdvertiseAddr: advertiseAddr, ForceNewCluster: false });
}

/** The token for joining as `role`, read from a manager; it is never stored. */
export async function joinToken(manager: DaemonTarget, role: SwarmRole): Promise<string> {
  const s = await call<{ JoinTokens?: { Worker?: string; Manager?: string } }>(manager, 'GET', '/swarm');
  const token = role === 'manager' ? s.JoinTokens?.Manager : s.JoinTokens?.Worker;
  if (!token) throw new MachineError('swarm', `the engine at ${manager.url} gave no ${role} join token`);
  return token;
}

export async function joinSwarm(t: DaemonTarget, opts: { advertiseAddr: string; remoteAddr: string; token: string }): Promise<void> {
  await call<unknown>(t, 'POST', '/swarm/join', { ListenAddr: '0.0.0.0:2377', AdvertiseAddr: opts.advertiseAddr, RemoteAddrs: [opts.remoteAddr], JoinToken: opts.token });
}

export async function leaveSwarm(t: DaemonTarget, force: boolean): Promise<void> {
  await call<unknown>(t, 'POST', `/swarm/leave?force=${force ? 'true' : 'false'}`);
}

function toNode(n: NodeJSON): SwarmNode {
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    role: n.Spec.Role,
    state: n.Status?.State ?? '',
    availability: String(n.Spec.Availability ?? ''),
    reachability: n.ManagerStatus?.Reachability,
    leader: n.ManagerStatus?.Leader === true,
    addr: n.ManagerStatus?.Addr ?? n.Status?.Addr ?? '',
  };
}

export async function listNodes(manager: DaemonTarget): Promise<SwarmNode[]> {
  return (await call<NodeJSON[]>(manager, 'GET', '/nodes')).map(toNode);
}

export async function setNodeRole(manager: DaemonTarget, nodeID: string, role: SwarmRole): Promise<void> {
  const node = await call<NodeJSON>(manager, 'GET', `/nodes/${encodeURIComponent(nodeID)}`);
  if (node.Spec.Role === role) return;
  await call<unknown>(manager, 'POST', `/nodes/${encodeURIComponent(nodeID)}/update?version=${node.Version.Index}`, { ...node.Spec, Role: role });
}

export async function removeNode(manager: DaemonTarget, nodeID: string): Promise<void> {
  await call<unknown>(manager, 'DELETE', `/nodes/${encodeURIComponent(nodeID)}?force=true`);
}
