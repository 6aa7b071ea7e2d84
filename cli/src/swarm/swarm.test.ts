import { strict as assert } from 'node:assert';
import { quorumAfterRemoval } from './cluster';
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
