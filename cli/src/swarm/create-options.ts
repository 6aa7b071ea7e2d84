// create's swarm flags: --swarm-mode, --swarm-join, --swarm-advertise-addr,
// and Docker Machine's nine legacy --swarm* flags mapped onto swarm mode
// where they mean the same, refused with what to use instead where not.
import { MachineError } from '../errors';
import type { SwarmRole } from './engine';

export interface SwarmCreateValues {
  'swarm-mode'?: string;
  'swarm-join'?: string;
  'swarm-advertise-addr'?: string;
  swarm?: boolean;
  'swarm-image'?: string;
  'swarm-master'?: boolean;
  'swarm-discovery'?: string;
  'swarm-strategy'?: string;
  'swarm-opt'?: string[];
  'swarm-join-opt'?: string[];
  'swarm-host'?: string;
  'swarm-addr'?: string;
  'swarm-experimental'?: boolean;
}

/** The legacy flags' defaults: a value equal to its default was not asked for. */
export const LEGACY_DEFAULTS = { image: 'swarm:latest', strategy: 'spread', host: 'tcp://0.0.0.0:3376' };

export interface SwarmPlan {
  role: SwarmRole;
  /** The manager to join; undefined: initialise a new swarm. */
  join?: string;
  advertiseAddr?: string;
}

export interface SwarmPlanResult {
  plan?: SwarmPlan;
  notices: string[];
}

const HOW = 'use --swarm-mode manager for the first manager, --swarm-mode manager|worker --swarm-join MANAGER for the others';

function unmappable(flag: string, why: string): MachineError {
  return new MachineError('usage', `Error: ${flag} (Swarm classic) cannot be mapped to swarm mode: ${why}; ${HOW}.`);
}

/**
 * What the swarm flags ask for. `findManager` names a machine recorded as a
 * swarm-mode manager, for the legacy --swarm that joined "the" master.
 */
export function swarmPlanFrom(v: SwarmCreateValues, findManager: () => string | undefined): SwarmPlanResult {
  const notices: string[] = [];
  if (v['swarm-discovery']) throw unmappable(`--swarm-discovery ${v['swarm-discovery']}`, 'swarm mode has no discovery service, nodes join a manager directly');
  if (v['swarm-image'] && v['swarm-image'] !== LEGACY_DEFAULTS.image) throw unmappable('--swarm-image', 'swarm mode is built into the engine and runs no image');
  if (v['swarm-strategy'] && v['swarm-strategy'] !== LEGACY_DEFAULTS.strategy) throw unmappable('--swarm-strategy', 'swarm mode always spreads tasks; steer them with "docker service create --placement-pref/--constraint"');
  if (v['swarm-opt']?.length) throw unmappable('--swarm-opt', 'set cluster options with "docker swarm update" on a manager');
  if (v['swarm-join-opt']?.length) throw unmappable('--swarm-join-opt', 'the join takes only an advertise address, --swarm-advertise-addr');
  if (v['swarm-host'] && v['swarm-host'] !== LEGACY_DEFAULTS.host) throw unmappable('--swarm-host', 'a swarm-mode manager answers on its engine port; "machine env --swarm MANAGER" points there');
  if (v['swarm-experimental']) throw unmappable('--swarm-experimental', 'enable experimental engine features with --engine-opt experimental');

  const asked = v['swarm-mode'];
  if (asked !== undefined && asked !== 'manager' && asked !== 'worker') throw new MachineError('usage', `Error: --swarm-mode must be "manager" or "worker", not "${asked}"`);
  let mode: SwarmRole | undefined = asked;
  let join = v['swarm-join'] || undefined;
  let advertise = v['swarm-advertise-addr'] || undefined;
  if (v['swarm-addr']) {
    if (advertise && advertise !== v['swarm-addr']) throw new MachineError('usage', 'Error: --swarm-addr and --swarm-advertise-addr disagree; give only --swarm-advertise-addr');
    // The legacy value may be host:port; swarm mode advertises an address (its port is 2377).
    advertise = v['swarm-addr'].replace(/^tcp:\/\//, '').replace(/:\d+$/, '');
    notices.push(`--swarm-addr is Swarm classic's; using it as --swarm-advertise-addr ${advertise}.`);
  }
  if (v['swarm-master']) {
    if (mode === 'worker') throw new MachineError('usage', 'Error: --swarm-master asks for a manager but --swarm-mode says worker; give only --swarm-mode');
    mode = 'manager';
    notices.push(`--swarm-master is Swarm classic's; creating a swarm-mode manager instead (--swarm-mode manager${join ? ` --swarm-join ${join}` : ''}).`);
  } else if (v.swarm) {
    if (mode === undefined) {
      mode = 'worker';
      if (!join) {
        join = findManager();
        if (!join) throw new MachineError('usage', `Error: --swarm (Swarm classic) joins the swarm master, but no machine is a swarm-mode manager; ${HOW}.`);
      }
      notices.push(`--swarm is Swarm classic's; joining the swarm as a worker instead (--swarm-mode worker --swarm-join ${join}).`);
    }
  }
  if (mode === undefined) {
    if (join || advertise) throw new MachineError('usage', 'Error: --swarm-join and --swarm-advertise-addr need --swarm-mode manager|worker');
    return { notices };
  }
  if (mode === 'worker' && !join) throw new MachineError('usage', 'Error: a swarm worker needs a manager to join: --swarm-join MANAGER');
  return { plan: { role: mode, join, advertiseAddr: advertise }, notices };
}
