// Swarm mode end to end: the real CLI builds a cluster of generic machines
// on three real test hosts (one test network), the real docker client uses
// it through `machine env --swarm`, and rm/leave take nodes out cleanly.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTestHosts, type TestHost } from '../hosts';
import { busyboxTarball, explain, genericFlags, LOCAL_IMAGE, Sandbox } from './generic-support';

interface NodeRow {
  Hostname: string;
  Status: string;
  ManagerStatus: string;
}

describe('swarm mode, end to end on generic hosts', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  const hosts = useTestHosts();
  let h1: TestHost;
  let h2: TestHost;
  let h3: TestHost;

  async function nodes(through: string): Promise<NodeRow[]> {
    const r = await sb.docker(through, ['node', 'ls', '--format', '{{json .}}']);
    assert.equal(r.code, 0, explain(r));
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as NodeRow);
  }

  function lsSwarmColumn(ls: string, name: string): string {
    const header = ls.split('\n')[0];
    const row = ls.split('\n').find((l) => l.startsWith(`${name} `));
    assert.ok(row, `ls lists ${name}:\n${ls}`);
    const start = header.indexOf('SWARM');
    return row.slice(start, header.indexOf('DOCKER')).trim();
  }

  before(async function () {
    [h1, h2, h3] = await Promise.all([hosts.start({ flavour: 'docker' }), hosts.start({ flavour: 'docker' }), hosts.start({ flavour: 'docker' })]);
  });

  after(async () => {
    for (const n of sb.machines()) await sb.cli(['rm', '-f', n]);
    sb.cleanup();
  });

  it('creates a first manager and a worker that joins it; docker node ls through the manager shows both', async () => {
    const m = await sb.ok(['create', ...genericFlags(h1), '--swarm-mode', 'manager', 'sw-m1']);
    assert.match(m.stdout, /first manager/);
    const w = await sb.ok(['create', ...genericFlags(h2), '--swarm-mode', 'worker', '--swarm-join', 'sw-m1', 'sw-w1']);
    assert.match(w.stdout, /Joining the swarm of "sw-m1" as a worker/);
    const listed = await nodes('sw-m1');
    assert.equal(listed.length, 2, JSON.stringify(listed));
    assert.ok(listed.every((n) => n.Status === 'Ready'), JSON.stringify(listed));
    assert.deepEqual(listed.map((n) => n.ManagerStatus).sort(), ['', 'Leader']);
    // No join token reaches the store.
    for (const name of ['sw-m1', 'sw-w1']) {
      const config = fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8');
      assert.doesNotMatch(config, /SWMTKN-/);
      const parsed = JSON.parse(config) as { HostOptions: { SwarmOptions: { IsSwarm: boolean; Master: boolean; Discovery: string } }; Machine: { Swarm: { Role: string } } };
      assert.equal(parsed.HostOptions.SwarmOptions.IsSwarm, true);
      assert.equal(parsed.HostOptions.SwarmOptions.Master, name === 'sw-m1');
      assert.match(parsed.HostOptions.SwarmOptions.Discovery, /^swarm-mode:\/\//);
      assert.equal(parsed.Machine.Swarm.Role, name === 'sw-m1' ? 'manager' : 'worker');
    }
  });

  it('shows the roles in ls and points env --swarm of a worker at its manager', async () => {
    const ls = (await sb.ok(['ls'])).stdout;
    assert.equal(lsSwarmColumn(ls, 'sw-m1'), 'manager');
    assert.equal(lsSwarmColumn(ls, 'sw-w1'), 'worker');
    const env = (await sb.ok(['env', '--swarm', 'sw-w1'])).stdout;
    assert.match(env, new RegExp(`DOCKER_HOST="tcp://${h1.ip.replace(/\./g, '\\.')}:2376"`));
    assert.match(env, /DOCKER_MACHINE_NAME="sw-m1"/);
    const own = (await sb.ok(['env', '--swarm', 'sw-m1'])).stdout;
    assert.match(own, /:2376"/);
  });

  it('runs a replicated service from a locally imported image on both nodes', async () => {
    const tarball = await busyboxTarball(sb.dir);
    for (const n of ['sw-m1', 'sw-w1']) {
      const r = await sb.docker(n, ['import', tarball, LOCAL_IMAGE]);
      assert.equal(r.code, 0, explain(r));
    }
    const created = await sb.docker('sw-m1', ['service', 'create', '--detach', '--no-resolve-image', '--name', 'sleeper', '--replicas', '2', '--replicas-max-per-node', '1', LOCAL_IMAGE, '/bin/sleep', '600']);
    assert.equal(created.code, 0, explain(created));
    const deadline = Date.now() + 60_000;
    let running: string[] = [];
    while (Date.now() < deadline) {
      const ps = await sb.docker('sw-m1', ['service', 'ps', 'sleeper', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
      running = ps.stdout.trim().split('\n').filter((l) => / Running /.test(l));
      if (running.length === 2) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(new Set(running.map((l) => l.split(' ')[0])).size, 2, `tasks on two nodes: ${running.join('; ')}`);
  });

  it('refuses bad swarm input with one clear line and creates nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--swarm-mode', 'worker'], /a swarm worker needs a manager to join: --swarm-join MANAGER/],
      [['--swarm-mode', 'worker', '--swarm-join', 'nosuch'], /--swarm-join: no machine named "nosuch"/],
      [['--swarm-mode', 'worker', '--swarm-join', 'sw-w1'], /"sw-w1" is not a swarm manager/],
      [['--swarm', '--swarm-discovery', 'token://abc'], /--swarm-discovery token:\/\/abc \(Swarm classic\) cannot be mapped to swarm mode.*--swarm-mode manager/],
      [['--swarm-strategy', 'binpack'], /--swarm-strategy \(Swarm classic\) cannot be mapped/],
    ];
    for (const [flags, expected] of cases) {
      const r = await sb.cli(['create', ...genericFlags(h3), ...flags, 'sw-bad']);
      assert.notEqual(r.code, 0, explain(r));
      assert.match(r.stderr, expected, explain(r));
      assert.ok(!sb.machines().includes('sw-bad'), `nothing is created for ${flags.join(' ')}`);
    }
    assert.equal((await nodes('sw-m1')).length, 2, 'the cluster is unchanged');
  });

  it('maps the legacy --swarm-master onto a manager that joins with a notice', async () => {
    const r = await sb.ok(['create', ...genericFlags(h3), '--swarm-master', '--swarm-join', 'sw-m1', 'sw-m2']);
    assert.match(r.stdout, /Notice: --swarm-master is Swarm classic's; creating a swarm-mode manager instead/);
    const listed = await nodes('sw-m2');
    assert.equal(listed.length, 3);
    assert.deepEqual(listed.map((n) => n.ManagerStatus).sort(), ['', 'Leader', 'Reachable']);
  });

  it('rm of a worker leaves the cluster first, and the service keeps running', async () => {
    const r = await sb.ok(['rm', '-y', 'sw-w1']);
    assert.match(r.stdout, /"sw-w1" left its swarm/);
    const listed = await nodes('sw-m1');
    assert.deepEqual(listed.map((n) => n.Hostname).sort(), ['sw-m1', 'sw-m2'], 'the generic driver names each host after its machine');
    const svc = await sb.docker('sw-m1', ['service', 'ls', '--format', '{{.Name}}']);
    assert.equal(svc.stdout.trim(), 'sleeper');
  });

  it('swarm leave demotes a manager, swarm join brings it back as a worker, swarm ls lists both', async () => {
    const left = await sb.ok(['swarm', 'leave', 'sw-m2']);
    assert.match(left.stdout, /Demoted "sw-m2"/);
    assert.equal((await nodes('sw-m1')).length, 1);
    await sb.ok(['swarm', 'join', '--manager', 'sw-m1', 'sw-m2']);
    const ls = await sb.ok(['swarm', 'ls', 'sw-m1']);
    assert.match(ls.stdout, /^sw-m1 .* manager .* Leader$/m);
    assert.match(ls.stdout, /^sw-m2 .* worker /m);
    assert.equal(lsSwarmColumn((await sb.ok(['ls'])).stdout, 'sw-m2'), 'worker');
  });

  it('refuses to remove the last manager, and removes it with --force and a warning', async () => {
    const refused = await sb.cli(['rm', '-y', 'sw-m1']);
    assert.notEqual(refused.code, 0, explain(refused));
    assert.match(refused.stderr, /Refusing to take "sw-m1" out of its swarm: it is the last manager of its swarm\. Use --force/);
    assert.ok(sb.machines().includes('sw-m1'));
    assert.equal((await nodes('sw-m1')).length, 2, 'the cluster is unchanged');
    const forced = await sb.cli(['rm', '-f', 'sw-m1']);
    assert.equal(forced.code, 0, explain(forced));
    assert.match(forced.stderr, /Warning: taking "sw-m1" out of its swarm loses quorum/);
    assert.ok(!sb.machines().includes('sw-m1'));
  });
});
