// What the store records about a swarm-mode member, read without loading
// the engine client (ls reads it for every machine).
import type { HostConfig } from '../store/types';
import type { SwarmRole } from './engine';

/** What the extra key holds for a swarm-mode member. */
export interface SwarmRecord {
  Role: SwarmRole;
  ClusterID: string;
  NodeID: string;
  AdvertiseAddr: string;
}

/** Docker Machine's SwarmOptions.Discovery for a swarm-mode member: one value per cluster. */
export const DISCOVERY_SCHEME = 'swarm-mode://';

export function swarmRecord(host: HostConfig): SwarmRecord | undefined {
  const s = host.Machine?.Swarm;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  const r = s as Record<string, unknown>;
  if ((r.Role !== 'manager' && r.Role !== 'worker') || typeof r.ClusterID !== 'string' || typeof r.NodeID !== 'string') return undefined;
  return { Role: r.Role, ClusterID: r.ClusterID, NodeID: r.NodeID, AdvertiseAddr: typeof r.AdvertiseAddr === 'string' ? r.AdvertiseAddr : '' };
}

