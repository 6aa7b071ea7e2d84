// Swarm mode end to end on local machines: the real CLI builds a cluster of
// three managers and two workers with the docker driver (systemd containers
// running their own dockerd, on one network of this run), the real docker
// client talks to it after `eval $(machine env --swarm NAME)`, and machine
// rm takes nodes out while the cluster keeps its service and its quorum.
// The cluster is made once, in `before`, and the tests go through its life.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { busyboxTarball, CLI, explain, LOCAL_IMAGE, run, Sandbox, type Result } from './generic-support';

interface NodeRow {
  Hostname: string;
  Status: string;
  ManagerStatus: string;
}

const RUN = process.pid;
const NETWORK = `machine-e2e-swarm-${RUN}`;
// Container names are global on the engine: this run's own.
const [M1, M2, M3, W1, W2] = ['m1', 'm2', 'm3', 'w1', 'w2'].map((n) => `sw${n}-${RUN}`);

describe('swarm mode, end to end on the docker driver', function () {
  this.timeout(600_000);
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const sb = new Sandbox();

  const create = (name: string, flags: string[]): Promise<Result> => sb.cli(['create', '-d', 'docker', '--docker-network', NETWORK, ...flags, name]);

  async function createOk(name: string, flags: string[]): Promise<Result> {
    const r = await create(name, flags);
    assert.equal(r.code, 0, `create ${name}: ${explain(r)}`);
    return r;
  }

  /** The docker client in a shell that ran `eval $(machine env --swarm THROUGH)`. */
  function swarmDocker(through: string, args: string[]): Promise<Result> {
    return run('bash', ['-c', 'eval "$("$0" "$1" env --swarm "$2")" && shift 2 && exec docker "$@"', process.execPath, CLI, through, ...args], { env: sb.env(), timeoutMs: 120_000 });
  }

  async function swarmDockerOk(through: string, args: string[]): Promise<string> {
    const r = await swarmDocker(through, args);
    assert.equal(r.code, 0, `docker ${args.join(' ')} through ${through}: ${explain(r)}`);
    return r.stdout.trim();
  }

  async function nodes(through: string): Promise<NodeRow[]> {
    const out = await swarmDockerOk(through, ['node', 'ls', '--format', '{{json .}}']);
    return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as NodeRow);
  }

  /** Polls until `done` holds for what `read` returns, and returns the last reading. */
  async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, ms = 90_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}; last: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Nodes of the running tasks of the service. */
  async function runningTaskNodes(through: string): Promise<string[]> {
    const out = await swarmDockerOk(through, ['service', 'ps', 'sleeper', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
    return out.split('\n').filter((l) => / Running /.test(l)).map((l) => l.split(' ')[0]);
  }

  async function containersOf(name?: string): Promise<string[]> {
    const label = [`io.machine.store=${sb.store}`, ...(name ? [`io.machine.name=${name}`] : [])];
    return (await docker.listContainers({ all: true, filters: JSON.stringify({ label }) })).map((c) => c.Names[0].replace(/^\//, ''));
  }

  function lsRows(ls: string): Map<string, string> {
    const [header, ...rows] = ls.trim().split('\n');
    const start = header.indexOf('SWARM');
    const end = header.indexOf('DOCKER');
    return new Map(rows.map((r) => [r.split(/\s+/)[0], r.slice(start, end).trim()]));
  }

  before(async function () {
    await docker.ping();
    const tarball = await busyboxTarball(sb.dir);
    await createOk(M1, ['--swarm-mode', 'manager']);
    // Workers join at the same time as a manager; managers join one at a time, as raft adds members one by one.
    // Settled first: a failure must not leave a create running into the cleanup.
    const joined = await Promise.allSettled([createOk(M2, ['--swarm-mode', 'manager', '--swarm-join', M1]), createOk(W1, ['--swarm-mode', 'worker', '--swarm-join', M1]), createOk(W2, ['--swarm-mode', 'worker', '--swarm-join', M1])]);
    for (const j of joined) if (j.status === 'rejected') throw j.reason;
    await createOk(M3, ['--swarm-mode', 'manager', '--swarm-join', M2]);
    // No registry: every node gets the image the service runs.
    const imports = await Promise.all([M1, M2, M3, W1, W2].map((n) => sb.docker(n, ['import', tarball, LOCAL_IMAGE])));
    imports.forEach((r, i) => assert.equal(r.code, 0, `import on ${[M1, M2, M3, W1, W2][i]}: ${explain(r)}`));
  });

  after(async () => {
    for (const n of sb.machines()) await sb.cli(['rm', '-f', n]);
    // Whatever a failed test left: found by this run's store label and network.
    for (const c of await containersOf()) await docker.getContainer(c).remove({ force: true, v: true }).catch(() => undefined);
    const volumes = await docker.listVolumes({ filters: JSON.stringify({ label: [`io.machine.store=${sb.store}`] }) });
    for (const v of volumes.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    await docker.getNetwork(NETWORK).remove().catch(() => undefined);
    sb.cleanup();
  });

  it('makes a cluster of three managers and two workers: docker node ls through env --swarm shows five Ready nodes', async () => {
    // Through a worker: env --swarm points the client at a manager.
    const listed = await nodes(W1);
    assert.deepEqual(listed.map((n) => n.Hostname).sort(), [M1, M2, M3, W1, W2].sort());
    assert.ok(listed.every((n) => n.Status === 'Ready'), JSON.stringify(listed));
    assert.deepEqual(listed.map((n) => n.ManagerStatus).sort(), ['', '', 'Leader', 'Reachable', 'Reachable']);
    for (const name of [M1, W1]) {
      const config = fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8');
      assert.doesNotMatch(config, /SWMTKN-/, 'no join token reaches the store');
    }
  });

  it('shows each role in ls, selects the swarm with ls --filter swarm=MANAGER, and points config --swarm of a worker at a manager', async () => {
    const roles = lsRows((await sb.ok(['ls'])).stdout);
    assert.deepEqual([M1, M2, M3, W1, W2].map((n) => roles.get(n)), ['manager', 'manager', 'manager', 'worker', 'worker']);
    const filtered = (await sb.ok(['ls', '-q', '--filter', `swarm=${M3}`])).stdout.trim().split('\n').sort();
    assert.deepEqual(filtered, [M1, M2, M3, W1, W2].sort());
    assert.equal((await sb.ok(['ls', '-q', '--filter', `swarm=${W1}`])).stdout.trim(), '', 'a worker is no master');
    const config = (await sb.ok(['config', '--swarm', W2])).stdout;
    const managerURLs = await Promise.all([M1, M2, M3].map(async (m) => (await sb.ok(['url', m])).stdout.trim()));
    const target = /^-H=(.*)$/m.exec(config)?.[1];
    assert.ok(target && managerURLs.includes(target), `config --swarm of a worker names a manager: ${config}`);
    const manager = [M1, M2, M3][managerURLs.indexOf(target)];
    assert.match(config, new RegExp(`--tlscert=".*/machines/${manager}/cert\\.pem"`));
    // The docker client takes those flags as they are.
    const r = await run('bash', ['-c', 'exec docker $("$0" "$1" config --swarm "$2") node ls -q', process.execPath, CLI, W2], { env: sb.env() });
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout.trim().split('\n').length, 5);
  });

  it('runs a replicated service from a locally imported image across the nodes', async () => {
    await swarmDockerOk(M1, ['service', 'create', '--detach', '--no-resolve-image', '--name', 'sleeper', '--replicas', '3', LOCAL_IMAGE, '/bin/sleep', '3600']);
    const running = await eventually(() => runningTaskNodes(M1), (n) => n.length === 3, 'three tasks run');
    assert.ok(new Set(running).size > 1, `the tasks spread over more than one node: ${running.join(', ')}`);
  });

  it('refuses --swarm-join of a stopped or unknown machine and a worker without a manager: one line, exit 1, nothing made', async () => {
    await sb.ok(['stop', W1]);
    const bad = `swbad-${RUN}`;
    const cases: [string[], RegExp][] = [
      [['--swarm-mode', 'worker', '--swarm-join', W1], new RegExp(`^--swarm-join: "${W1}" is not running; start it with "machine start ${W1}"$`)],
      [['--swarm-mode', 'manager', '--swarm-join', 'nosuch'], /^--swarm-join: no machine named "nosuch"; "machine ls" lists the machines$/],
      [['--swarm-mode', 'worker'], /^Error: a swarm worker needs a manager to join: --swarm-join MANAGER$/],
      [['--swarm-mode', 'worker', '--swarm-join', W2], new RegExp(`^--swarm-join: "${W2}" is not a swarm manager; `)],
    ];
    for (const [flags, expected] of cases) {
      const r = await create(bad, flags);
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stderr.trim(), expected, explain(r));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${explain(r)}`);
      assert.ok(!sb.machines().includes(bad), `no store entry for ${flags.join(' ')}`);
      assert.deepEqual(await containersOf(bad), [], `no container for ${flags.join(' ')}`);
    }
    assert.deepEqual(sb.storeProblems(), []);
    assert.equal((await nodes(M1)).length, 5, 'the cluster is unchanged');
  });

  it('machine rm of workers and of a manager, running or stopped, keeps the service running and the cluster healthy', async () => {
    const stopped = await sb.ok(['rm', '-y', W1]);
    assert.match(stopped.stdout, new RegExp(`"${W1}" was removed from its swarm \\(it is not running\\)`));
    const worker = await sb.ok(['rm', '-y', W2]);
    assert.match(worker.stdout, new RegExp(`"${W2}" left its swarm`));
    // A stopped manager cannot leave by itself: another manager demotes and removes it (two of three keep quorum).
    await sb.ok(['stop', M3]);
    const manager = await sb.ok(['rm', '-y', M3]);
    assert.match(manager.stdout, new RegExp(`Demoted "${M3}" to a swarm worker \\(it is not running\\)\\.[\\s\\S]*"${M3}" was removed from its swarm`));
    for (const n of [W1, W2, M3]) assert.deepEqual(await containersOf(n), [], `${n}'s container is gone`);
    const listed = await nodes(M2);
    assert.deepEqual(listed.map((n) => n.Hostname).sort(), [M1, M2].sort(), 'no dead node is left in the list');
    assert.ok(listed.every((n) => n.Status === 'Ready'), JSON.stringify(listed));
    assert.deepEqual(listed.map((n) => n.ManagerStatus).sort(), ['Leader', 'Reachable'], 'both managers left keep quorum');
    const running = await eventually(() => runningTaskNodes(M1), (n) => n.length === 3 && n.every((x) => x === M1 || x === M2), 'the tasks of removed nodes run again on the nodes left');
    assert.equal(running.length, 3);
  });

  it('refuses to remove the last manager without --force, and warns that quorum is lost with it', async () => {
    const running = await sb.ok(['rm', '-y', M2]);
    assert.match(running.stdout, new RegExp(`Demoted "${M2}" to a swarm worker\\.[\\s\\S]*"${M2}" left its swarm`));
    const refused = await sb.cli(['rm', '-y', M1]);
    assert.equal(refused.code, 1, explain(refused));
    assert.match(refused.stderr, new RegExp(`Refusing to take "${M1}" out of its swarm: it is the last manager of its swarm\\. Use --force to do it anyway\\.`));
    assert.ok(sb.machines().includes(M1), 'the machine stays');
    assert.deepEqual(await containersOf(M1), [M1]);
    assert.equal((await nodes(M1)).length, 1, 'the swarm is unchanged');
    const forced = await sb.cli(['rm', '-f', M1]);
    assert.equal(forced.code, 0, explain(forced));
    assert.match(forced.stderr, new RegExp(`Warning: taking "${M1}" out of its swarm loses quorum: it is the last manager of its swarm`));
    assert.deepEqual(sb.machines(), []);
  });
});
