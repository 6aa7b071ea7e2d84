import { strict as assert } from 'node:assert';
import * as sinon from 'sinon';
import { parseFilters, staticFilter } from '../commands/ls';
import { MachineError } from '../errors';
import { newHostConfig } from '../store/host';
import type { HostConfig, HostEntry } from '../store/types';
import { swarmEndpoint } from './client-endpoint';
import { leaveCluster, quorumAfterRemoval, quorumNow, recordSwarm } from './cluster';
import * as engine from './engine';
import type { Store } from '../store/store';
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
  const H = 'Error checking TLS connection';

  it('a manager is its own endpoint, on its engine port', async () => {
    const ma1 = member('ma1', 'manager');
    const ep = await swarmEndpoint(ma1, [ma1], checkAll, H);
    assert.equal(ep.host.Name, 'ma1');
    assert.equal(ep.url, 'tcp://10.0.0.1:2376');
  });

  it('a worker points at the first manager of its swarm that answers', async () => {
    const all = [member('mb1', 'manager', 'c2'), member('ma1', 'manager'), member('ma2', 'manager'), member('wa1', 'worker')];
    const ep = await swarmEndpoint(
      all[3],
      all,
      async (h) => {
        if (h.Name === 'ma1') throw new MachineError('not-running', 'Host is not running');
        return urls[h.Name];
      },
      H,
    );
    assert.equal(ep.host.Name, 'ma2');
    assert.equal(ep.url, 'tcp://10.0.0.2:2376');
  });

  it('says why when no manager of a worker\'s swarm answers or none is known', async () => {
    const all = [member('ma1', 'manager'), member('ma2', 'manager'), member('wa1', 'worker')];
    await assert.rejects(
      swarmEndpoint(
        all[2],
        all,
        async (h) => {
          throw new MachineError('not-running', `${h.Name} down`);
        },
        H,
      ),
      /"wa1" is a swarm worker and no manager of its swarm answers \(ma1: ma1 down; ma2: ma2 down\)/,
    );
    await assert.rejects(swarmEndpoint(all[2], [all[2]], checkAll, H), /"wa1" is a swarm worker and no machine is a manager of its swarm/);
  });

  it('keeps the reference\'s answers for Swarm classic stores', async () => {
    const legacy = member('legacy');
    // Refused with the command's heading, before any connection is made.
    const checked: string[] = [];
    const recording = async (h: HostConfig) => {
      checked.push(h.Name);
      return urls[h.Name];
    };
    await assert.rejects(swarmEndpoint(legacy, [legacy], recording, H), {
      message: 'Error checking TLS connection: "legacy" is not a swarm master. The --swarm flag is intended for use with swarm masters',
    });
    assert.deepEqual(checked, []);
    Object.assign(legacy.HostOptions.SwarmOptions, { IsSwarm: true, Master: true, Host: 'tcp://0.0.0.0:3376' });
    assert.equal((await swarmEndpoint(legacy, [legacy], checkAll, H)).url, 'tcp://10.0.0.9:3376');
  });
});

describe('rm of a swarm node that is not running', () => {
  const sandbox = sinon.createSandbox();
  afterEach(() => sandbox.restore());

  function node(id: string, role: 'manager' | 'worker', reachability?: string): engine.SwarmNode {
    return { id, hostname: id, role, state: 'ready', availability: 'active', reachability, leader: false, addr: '' };
  }

  /** Three managers (m3 down) and a worker, m1 answering for the swarm. */
  function setUp(nodes: engine.SwarmNode[]) {
    const hosts = ['m1', 'm2', 'm3', 'w1'].map((n) => {
      const h = member(n, n.startsWith('m') ? 'manager' : 'worker');
      h.Machine = { ...h.Machine, LastURL: `tcp://${n}:2376` };
      return h;
    });
    const store = { list: () => hosts.map((host) => ({ name: host.Name, host })), machineDir: (n: string) => `/s/machines/${n}` } as unknown as Store;
    sandbox.stub(engine, 'swarmInfo').callsFake(async (t) => {
      if (t.url !== 'tcp://m1:2376') throw new Error('unreachable');
      return { state: 'active', nodeID: 'node-m1', clusterID: 'c1', isManager: true, nodeAddr: '10.0.0.1' };
    });
    let listed = nodes;
    const setRole = sandbox.stub(engine, 'setNodeRole').callsFake(async (_t, id, role) => {
      listed = listed.map((n) => (n.id === id ? { ...n, role, reachability: undefined } : n));
    });
    sandbox.stub(engine, 'listNodes').callsFake(async () => listed);
    const removed = sandbox.stub(engine, 'removeNode').resolves();
    const lines: string[] = [];
    return { hosts, store, setRole, removed, lines, log: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`err: ${l}`) } };
  }

  const managers = () => [node('node-m1', 'manager', 'reachable'), node('node-m2', 'manager', 'reachable'), node('node-m3', 'manager', 'unreachable'), node('node-w1', 'worker')];

  it('has another manager demote a stopped manager and remove it, without contacting it', async () => {
    const t = setUp(managers());
    const m3 = t.hosts[2];
    await leaveCluster(t.store, m3, false, t.log, async () => false);
    assert.deepEqual(t.setRole.firstCall.args.slice(1), ['node-m3', 'worker']);
    assert.equal(t.setRole.firstCall.args[0].url, 'tcp://m1:2376');
    assert.deepEqual(t.removed.firstCall.args.slice(1), ['node-m3']);
    assert.deepEqual(t.lines, ['Demoted "m3" to a swarm worker (it is not running).', '"m3" was removed from its swarm (it is not running).']);
    assert.equal(m3.Machine?.Swarm, undefined);
  });

  it('refuses when the swarm has no quorum now, and clears only the record with --force', async () => {
    const t = setUp([node('node-m1', 'manager', 'reachable'), node('node-m2', 'manager', 'unreachable'), node('node-m3', 'manager', 'unreachable')]);
    const m3 = t.hosts[2];
    await assert.rejects(leaveCluster(t.store, m3, false, t.log, async () => false), /Refusing to take "m3" out of its swarm: its swarm has lost quorum: only 1 of its 3 managers are reachable, and 2 are needed\. Use --force/);
    assert.ok(m3.Machine?.Swarm, 'the record stays');
    await leaveCluster(t.store, m3, true, t.log, async () => false);
    assert.equal(t.setRole.callCount, 0);
    assert.equal(m3.Machine?.Swarm, undefined);
    assert.match(t.lines.join('\n'), /err: Warning: "m3" leaves its swarm uncleanly: its swarm has lost quorum/);
  });

  it('clears the record of a node the swarm no longer lists', async () => {
    const t = setUp(managers().filter((n) => n.id !== 'node-w1'));
    const w1 = t.hosts[3];
    await leaveCluster(t.store, w1, false, t.log, async () => false);
    assert.equal(t.removed.callCount, 0);
    assert.deepEqual(t.lines, ['"w1" is no longer in its swarm.']);
    assert.equal(w1.Machine?.Swarm, undefined);
  });
});
