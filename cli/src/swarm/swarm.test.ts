import { strict as assert } from 'node:assert';
import { parseFilters, staticFilter } from '../commands/ls';
import { MachineError } from '../errors';
import { newHostConfig } from '../store/host';
import type { HostConfig, HostEntry } from '../store/types';
import { swarmEndpoint } from './client-endpoint';
import { quorumAfterRemoval, quorumNow, recordSwarm } from './cluster';
import { swarmPlanFrom } from './create-options';
import type { SwarmNode } from './engine';

function manager(id: string, reachability: string): SwarmNode {
  return { id, hostname: id, role: 'manager', state: 'ready', availability: 'active', reachability, leader: false, addr: '' };
}

describe('swarm quorum', () => {
  it('refuses to remove the last manager', () => {
    const q = quorumAfterRemoval([manager('a', 'reachable')], 'a');
    assert.equal(q.ok, false);
    assert.match(q.reason, /last manager/);
  });

  it('refuses when the managers left reachable are not a majority (1 of 3 reachable)', () => {
    const q = quorumAfterRemoval([manager('a', 'reachable'), manager('b', 'unreachable'), manager('c', 'unreachable')], 'a');
    assert.equal(q.ok, false);
    assert.match(q.reason, /0 of the 2 other managers are reachable, and 2 are needed/);
  });

  it('needs a reachable majority now to demote a manager that is down', () => {
    const oneOfThreeDown = [manager('a', 'reachable'), manager('b', 'reachable'), manager('c', 'unreachable')];
    assert.equal(quorumNow(oneOfThreeDown).ok, true);
    assert.equal(quorumAfterRemoval(oneOfThreeDown, 'c').ok, true);
    const q = quorumNow([manager('a', 'reachable'), manager('b', 'unreachable')]);
    assert.equal(q.ok, false);
    assert.match(q.reason, /only 1 of its 2 managers are reachable, and 2 are needed/);
  });

  it('allows removing one of three healthy managers', () => {
    assert.equal(quorumAfterRemoval([manager('a', 'reachable'), manager('b', 'reachable'), manager('c', 'reachable')], 'a').ok, true);
  });
});

describe('create swarm flags', () => {
  const none = () => undefined;

  it('plans a first manager, a joining worker and a joining manager', () => {
    assert.deepEqual(swarmPlanFrom({ 'swarm-mode': 'manager' }, none).plan, { role: 'manager', join: undefined, advertiseAddr: undefined });
    assert.deepEqual(swarmPlanFrom({ 'swarm-mode': 'worker', 'swarm-join': 'm1', 'swarm-advertise-addr': '10.0.0.2' }, none).plan, { role: 'worker', join: 'm1', advertiseAddr: '10.0.0.2' });
    assert.equal(swarmPlanFrom({}, none).plan, undefined);
  });

  it('maps --swarm-master and --swarm with a notice', () => {
    const master = swarmPlanFrom({ 'swarm-master': true, 'swarm-image': 'swarm:latest', 'swarm-strategy': 'spread', 'swarm-host': 'tcp://0.0.0.0:3376' }, none);
    assert.equal(master.plan?.role, 'manager');
    assert.match(master.notices[0], /--swarm-master is Swarm classic's/);
    const agent = swarmPlanFrom({ swarm: true, 'swarm-addr': 'tcp://10.0.0.3:2376' }, () => 'm1');
    assert.deepEqual(agent.plan, { role: 'worker', join: 'm1', advertiseAddr: '10.0.0.3' });
    assert.equal(agent.notices.length, 2);
  });

  it('fails clearly where a legacy flag cannot be mapped', () => {
    assert.throws(() => swarmPlanFrom({ swarm: true, 'swarm-discovery': 'token://x' }, none), /--swarm-discovery token:\/\/x \(Swarm classic\) cannot be mapped to swarm mode: .*--swarm-mode manager/);
    assert.throws(() => swarmPlanFrom({ 'swarm-opt': ['a=b'] }, none), /--swarm-opt .*docker swarm update/);
    assert.throws(() => swarmPlanFrom({ swarm: true }, none), /no machine is a swarm-mode manager/);
    assert.throws(() => swarmPlanFrom({ 'swarm-mode': 'worker' }, none), /needs a manager to join: --swarm-join MANAGER/);
    assert.throws(() => swarmPlanFrom({ 'swarm-join': 'm1' }, none), /need --swarm-mode/);
  });
});

function member(name: string, role?: 'manager' | 'worker', cluster = 'c1'): HostConfig {
  const host = newHostConfig({ storeRoot: '/s', name, driverName: 'fake' });
  if (role) recordSwarm(host, { Role: role, ClusterID: cluster, NodeID: `node-${name}`, AdvertiseAddr: '10.0.0.1' });
  return host;
}

describe('ls --filter swarm= on swarm-mode machines', () => {
  const hosts = [member('ma1', 'manager'), member('ma2', 'manager'), member('wa1', 'worker'), member('mb1', 'manager', 'c2'), member('wb1', 'worker', 'c2'), member('plain')];
  const entries: HostEntry[] = hosts.map((host) => ({ name: host.Name, host }));
  const names = (f: string[]): string[] => staticFilter(entries, parseFilters(f)).map((e) => e.name);

  it('naming any manager selects every machine of its swarm', () => {
    assert.deepEqual(names(['swarm=ma1']), ['ma1', 'ma2', 'wa1']);
    assert.deepEqual(names(['swarm=MA2']), ['ma1', 'ma2', 'wa1']);
    assert.deepEqual(names(['swarm=ma1', 'swarm=mb1']), ['ma1', 'ma2', 'wa1', 'mb1', 'wb1']);
  });

  it('a worker, a plain machine or an unknown name is no master and selects nothing', () => {
    assert.deepEqual(names(['swarm=wa1']), []);
    assert.deepEqual(names(['swarm=plain']), []);
    assert.deepEqual(names(['swarm=nosuch']), []);
  });
});

describe('env/config --swarm endpoint', () => {
  const urls: Record<string, string> = { ma1: 'tcp://10.0.0.1:2376', ma2: 'tcp://10.0.0.2:2376', wa1: 'tcp://10.0.0.3:2376', legacy: 'tcp://10.0.0.9:2376' };
  const checkAll = async (h: HostConfig) => urls[h.Name];

  it('a manager is its own endpoint, on its engine port', async () => {
    const ma1 = member('ma1', 'manager');
    const ep = await swarmEndpoint(ma1, [ma1], checkAll);
    assert.equal(ep.host.Name, 'ma1');
    assert.equal(ep.url, 'tcp://10.0.0.1:2376');
  });

  it('a worker points at the first manager of its swarm that answers', async () => {
    const all = [member('mb1', 'manager', 'c2'), member('ma1', 'manager'), member('ma2', 'manager'), member('wa1', 'worker')];
    const ep = await swarmEndpoint(all[3], all, async (h) => {
      if (h.Name === 'ma1') throw new MachineError('not-running', 'Host is not running');
      return urls[h.Name];
    });
    assert.equal(ep.host.Name, 'ma2');
    assert.equal(ep.url, 'tcp://10.0.0.2:2376');
  });

  it('says why when no manager of a worker\'s swarm answers or none is known', async () => {
    const all = [member('ma1', 'manager'), member('ma2', 'manager'), member('wa1', 'worker')];
    await assert.rejects(
      swarmEndpoint(all[2], all, async (h) => {
        throw new MachineError('not-running', `${h.Name} down`);
      }),
      /"wa1" is a swarm worker and no manager of its swarm answers \(ma1: ma1 down; ma2: ma2 down\)/,
    );
    await assert.rejects(swarmEndpoint(all[2], [all[2]], checkAll), /"wa1" is a swarm worker and no machine is a manager of its swarm/);
  });

  it('keeps the reference\'s answers for Swarm classic stores', async () => {
    const legacy = member('legacy');
    await assert.rejects(swarmEndpoint(legacy, [legacy], checkAll), /"legacy" is not a swarm master\. The --swarm flag is intended for use with swarm masters/);
    Object.assign(legacy.HostOptions.SwarmOptions, { IsSwarm: true, Master: true, Host: 'tcp://0.0.0.0:3376' });
    assert.equal((await swarmEndpoint(legacy, [legacy], checkAll)).url, 'tcp://10.0.0.9:3376');
  });
});
