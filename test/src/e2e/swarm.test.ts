// Swarm mode end to end: the real CLI builds a cluster of generic machines
// on three real test hosts, the real docker client uses it through
// `eval $(machine env --swarm NAME)`, and rm/leave take nodes out cleanly.
// Two of the hosts also sit on a second network of this run, so that they
// have two addresses and the advertised one is a choice.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engine, useTestHosts, type TestHost } from '../hosts';
import { busyboxTarball, CLI, explain, genericFlags, LOCAL_IMAGE, run, Sandbox, type Result } from './generic-support';

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
  /** h3's address on the second network (h1 is on it too, so that its manager reaches that address). */
  let h3Second: string;

  /** The docker client in a shell that ran `eval $(machine env --swarm THROUGH)`. */
  function swarmDocker(through: string, args: string[]): Promise<Result> {
    return run('bash', ['-c', 'eval "$("$0" "$1" env --swarm "$2")" && shift 2 && exec docker "$@"', process.execPath, CLI, through, ...args], { env: sb.env(), timeoutMs: 120_000 });
  }

  async function nodes(through: string): Promise<NodeRow[]> {
    const r = await swarmDocker(through, ['node', 'ls', '--format', '{{json .}}']);
    assert.equal(r.code, 0, explain(r));
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as NodeRow);
  }

  /** Every file under the store, with its text (locks and logs included). */
  function storeFiles(): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, ent.name);
        if (ent.isDirectory()) walk(p);
        else if (ent.isFile()) files.set(path.relative(sb.store, p), fs.readFileSync(p, 'latin1'));
      }
    };
    walk(sb.store);
    return files;
  }

  /** Connects a host to a network as a second NIC and returns its address there. */
  async function secondAddress(host: TestHost, network: string): Promise<string> {
    await engine().getNetwork(network).connect({ Container: host.containerId });
    const info = await engine().getContainer(host.containerId).inspect();
    const ip = info.NetworkSettings.Networks[network]?.IPAddress;
    assert.ok(ip && ip !== host.ip, `${host.name} has a second address on ${network}`);
    return ip;
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
    const second = await hosts.network();
    await secondAddress(h1, second.name);
    h3Second = await secondAddress(h3, second.name);
  });

  after(async () => {
    for (const n of sb.machines()) await sb.cli(['rm', '-f', n]);
    sb.cleanup();
  });

  it('creates a first manager and a worker that joins it; docker node ls through env --swarm of either shows both Ready', async () => {
    const m = await sb.ok(['--debug', 'create', ...genericFlags(h1), '--swarm-mode', 'manager', 'sw-m1']);
    assert.match(m.stdout, /first manager/);
    const w = await sb.ok(['--debug', 'create', ...genericFlags(h2), '--swarm-mode', 'worker', '--swarm-join', 'sw-m1', 'sw-w1']);
    assert.match(w.stdout, /Joining the swarm of "sw-m1" as a worker/);
    for (const through of ['sw-m1', 'sw-w1']) {
      const listed = await nodes(through);
      assert.deepEqual(listed.map((n) => n.Hostname).sort(), ['sw-m1', 'sw-w1'], `through ${through}`);
      assert.ok(listed.every((n) => n.Status === 'Ready'), JSON.stringify(listed));
      assert.deepEqual(listed.map((n) => n.ManagerStatus).sort(), ['', 'Leader']);
    }
    // With two addresses, the manager advertises the machine's own IP by default.
    const advertised = await swarmDocker('sw-m1', ['node', 'inspect', 'sw-m1', '--format', '{{.ManagerStatus.Addr}}']);
    assert.equal(advertised.stdout.trim(), `${h1.ip}:2377`, explain(advertised));
    // No join token reaches the disk (any file of the store, locks and logs included) or the debug output.
    const files = storeFiles();
    assert.ok(files.size > 0);
    for (const [file, text] of files) assert.doesNotMatch(text, /SWMTKN-/, `a join token in ${file}`);
    for (const r of [m, w]) {
      assert.match(r.stderr, /\S/, 'the debug output is on stderr');
      assert.doesNotMatch(r.stdout + r.stderr, /SWMTKN-/, 'a join token in the --debug output of create');
    }
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

  it('maps the legacy --swarm-master onto a manager that joins with a notice, advertising the address given with --swarm-advertise-addr', async () => {
    const r = await sb.ok(['create', ...genericFlags(h3), '--swarm-master', '--swarm-join', 'sw-m1', '--swarm-advertise-addr', h3Second, 'sw-m2']);
    assert.match(r.stdout, /Notice: --swarm-master is Swarm classic's; creating a swarm-mode manager instead/);
    for (const through of ['sw-m1', 'sw-m2', 'sw-w1']) {
      const listed = await nodes(through);
      assert.deepEqual(listed.map((n) => n.Hostname).sort(), ['sw-m1', 'sw-m2', 'sw-w1'], `through ${through}`);
      assert.ok(listed.every((n) => n.Status === 'Ready'), JSON.stringify(listed));
      assert.deepEqual(listed.map((n) => n.ManagerStatus).sort(), ['', 'Leader', 'Reachable']);
    }
    // The second NIC's address, not the machine's IP, is the one the managers reach sw-m2 at (raft says
    // Reachable through it) and the one its engine advertises. Status.Addr is only where the manager saw
    // sw-m2's session come from: its first network, since it joined through sw-m1's IP.
    const inspected = await swarmDocker('sw-m1', ['node', 'inspect', 'sw-m2', '--format', '{{.ManagerStatus.Addr}} {{.ManagerStatus.Reachability}} {{.Status.Addr}}']);
    assert.equal(inspected.code, 0, explain(inspected));
    assert.equal(inspected.stdout.trim(), `${h3Second}:2377 reachable ${h3.ip}`);
    const own = await run('bash', ['-c', 'eval "$("$0" "$1" env "$2")" && exec docker info --format "{{.Swarm.NodeAddr}}"', process.execPath, CLI, 'sw-m2'], { env: sb.env() });
    assert.equal(own.stdout.trim(), h3Second, explain(own));
  });

  it('rm of a worker leaves the cluster first, and the service keeps running', async () => {
    const r = await sb.ok(['rm', '-y', 'sw-w1']);
    assert.match(r.stdout, /"sw-w1" left its swarm/);
    const listed = await nodes('sw-m1');
    assert.deepEqual(listed.map((n) => n.Hostname).sort(), ['sw-m1', 'sw-m2'], 'the generic driver names each host after its machine');
    const svc = await sb.docker('sw-m1', ['service', 'ls', '--format', '{{.Name}}']);
    assert.equal(svc.stdout.trim(), 'sleeper');
  });

  it('swarm init makes an existing machine the first manager of a new swarm: docker node ls and swarm ls show it', async () => {
    // h2 is free again: a machine outside any swarm on it.
    await sb.ok(['create', ...genericFlags(h2), 'sw-solo']);
    const init = await sb.ok(['swarm', 'init', 'sw-solo']);
    assert.match(init.stdout, /^"sw-solo" is the first manager of swarm \S+\.$/m);
    const listed = await nodes('sw-solo');
    assert.deepEqual(listed.map((n) => [n.Hostname, n.Status, n.ManagerStatus]), [['sw-solo', 'Ready', 'Leader']]);
    const role = await run('bash', ['-c', 'eval "$("$0" "$1" env "$2")" && exec docker info --format "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"', process.execPath, CLI, 'sw-solo'], { env: sb.env() });
    assert.equal(role.stdout.trim(), 'active true', explain(role));
    const ls = await sb.ok(['swarm', 'ls', 'sw-solo']);
    const rows = ls.stdout.trim().split('\n');
    assert.equal(rows.length, 2, ls.stdout);
    assert.match(rows[1], /^sw-solo +\S+ +sw-solo +manager +ready +active +Leader$/);
    assert.equal(lsSwarmColumn((await sb.ok(['ls'])).stdout, 'sw-solo'), 'manager');
    // It is a swarm of its own: the other one does not list it.
    assert.ok(!(await nodes('sw-m1')).some((n) => n.Hostname === 'sw-solo'));
    await sb.ok(['rm', '-f', 'sw-solo']);
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
