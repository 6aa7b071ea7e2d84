// Fault injection: SIGINT, SIGTERM, SIGHUP and SIGKILL, sent to the CLI, to
// its whole process group or to its driver, at seeded random points of
// create, start, provision and rm, for the generic, amazonec2 (local EC2
// endpoint with real hosts) and docker drivers; and at seeded points of
// create and rm for the digitalocean, openstack (real Keystone) and
// virtualbox (VBoxManage stand-in) drivers, whose endpoints answer some of
// those runs with 5xx or 429 (VirtualBox: "object is not ready") on the way.
// After every run, whatever exists (a container, a volume, an instance,
// droplet, server or VM, a key, floating IP or security group, a disk)
// belongs to a machine in the store; a machine whose create did not finish is
// marked (an error in `ls`) and `rm -f` removes it with all it made; no lock
// of a live process, socket directory or process of the run is left.
//
// The seed is printed; MACHINE_FAULT_SEED=<seed> replays a run.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { startFakeDigitalOcean, TOKEN as DO_TOKEN, type FakeDigitalOcean } from '../fakes/digitalocean';
import { startFakeEc2, type FakeEc2 } from '../fakes/ec2';
import { ACCESS_KEY, SECRET_KEY, cleanAwsEnv } from '../fakes/ec2/harness';
import { openstackFault, startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack';
import { endpointFlags as openstackFlags } from '../fakes/openstack/harness';
import { notReady, startFakeVirtualBox, type FakeVirtualBox } from '../fakes/virtualbox';
import { fakeImage, startImageServer, vboxEnv, type ImageServer } from '../fakes/virtualbox/harness';
import { TestHostProvider, startHost, type TestHost } from '../hosts';
import { CLI, explain, genericFlags, Sandbox, type Result } from './generic-support';

type DriverName = 'generic' | 'amazonec2' | 'docker' | 'digitalocean' | 'openstack' | 'virtualbox';
type Op = 'create' | 'start' | 'provision' | 'rm';
type Target = 'cli' | 'group' | 'driver';
/** What the endpoint does on the way, besides the signal: answers with 5xx, throttles with 429, or VirtualBox's "not ready". */
type ApiFault = 'none' | '5xx' | '429' | 'not-ready';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const;
type Sig = (typeof SIGNALS)[number];
const TARGETS: Target[] = ['cli', 'group', 'driver'];
const OPS: Op[] = ['create', 'start', 'provision', 'rm'];
/** The cloud drivers whose runs are about create and rm, with endpoint faults. */
const CLOUD_DRIVERS: DriverName[] = ['digitalocean', 'openstack', 'virtualbox'];
const API_FAULTS: Record<string, ApiFault[]> = { digitalocean: ['none', '5xx', '429'], openstack: ['none', '5xx', '429'], virtualbox: ['none', 'not-ready'] };

const SEED = Number(process.env.MACHINE_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
/**
 * Runs per driver, 60 in all: mostly the fast ones. Each of the first three
 * meets all twelve signal and target pairs; each cloud driver meets every
 * signal and every target, its pairs turned by the seed.
 */
const RUNS: Record<DriverName, number> = { generic: 24, amazonec2: 12, docker: 4, digitalocean: 7, openstack: 7, virtualbox: 6 };
/** Latest injection point per operation, in ms after the command starts. */
const WINDOW_MS: Record<Op, number> = { create: 9_000, start: 2_500, provision: 6_000, rm: 2_500 };

/** mulberry32: small, seedable, good enough to spread injection points. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Plan {
  driver: DriverName;
  op: Op;
  sig: Sig;
  target: Target;
  delayMs: number;
  apiFault: ApiFault;
}

function plans(seed: number): Plan[] {
  const rand = prng(seed);
  // The cloud drivers' targets turn from a seeded start, one step apart, so
  // that in every run one of them has its driver killed (SIGKILL) mid-create,
  // one its CLI and one its process group.
  const cloudStart = Math.floor(prng(seed ^ 0x5bd1e995)() * TARGETS.length);
  const out: Plan[] = [];
  for (const driver of Object.keys(RUNS) as DriverName[]) {
    const cloud = CLOUD_DRIVERS.includes(driver);
    const rotation = cloud ? (cloudStart + CLOUD_DRIVERS.indexOf(driver)) % TARGETS.length : 0;
    for (let i = 0; i < RUNS[driver]; i++) {
      const sig = SIGNALS[i % SIGNALS.length];
      if (!cloud) {
        // Every signal and target in turn, so that each driver meets all twelve pairs.
        const target = TARGETS[Math.floor(i / SIGNALS.length) % TARGETS.length];
        const op = OPS[Math.floor(rand() * OPS.length)];
        out.push({ driver, op, sig, target, delayMs: Math.floor(rand() * WINDOW_MS[op]), apiFault: 'none' });
        continue;
      }
      // Fewer runs: the targets in turn from a seeded start. A driver killed is killed mid-create.
      const target = TARGETS[(i + rotation) % TARGETS.length];
      const op: Op = target === 'driver' || rand() < 0.6 ? 'create' : 'rm';
      const faults = API_FAULTS[driver];
      const apiFault = faults[Math.floor(rand() * faults.length)];
      out.push({ driver, op, sig, target, delayMs: Math.floor(rand() * WINDOW_MS[op]), apiFault });
    }
  }
  return out;
}

/** The variables an environment sets or changes against this process's own. */
function changedVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => process.env[k] !== v));
}

function describePlan(p: Plan): string {
  return `${p.driver} ${p.op}: ${p.sig} to the ${p.target} after ${p.delayMs} ms${p.apiFault === 'none' ? '' : `, the endpoint answering ${p.apiFault}`}`;
}

interface Running {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function processStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

describe('fault injection: signals at random points of create, start, provision and rm', function () {
  this.timeout(900_000);
  const sb = new Sandbox();
  const tmp = path.join(sb.dir, 'tmp');
  const home = path.join(sb.dir, 'home');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const network = `fault-${sb.tag}`;
  let genericHost: TestHost;
  let hosts: TestHostProvider;
  let ec2: FakeEc2;
  let digitalocean: FakeDigitalOcean;
  let openstack: FakeOpenStack;
  let virtualbox: FakeVirtualBox;
  let images: ImageServer;
  const log: string[] = [];
  const reported = new Set<string>();

  /** One user's environment for every driver: each reads only its own variables. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv =>
    sb.env({
      ...cleanAwsEnv(home, { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY }),
      // What VirtualBox needs besides: the stand-in's VBoxManage on PATH, its user folder, the host-only network.
      ...changedVariables(vboxEnv(virtualbox, { VIRTUALBOX_IMAGE_URL: `${images.url}/noble-server-cloudimg-amd64.vmdk`, MACHINE_VIRTUALBOX_IP_TIMEOUT_S: '60' })),
      // Socket directories (and VirtualBox's command lock) in the run's own folder, where they are counted.
      TMPDIR: tmp,
      DIGITALOCEAN_ACCESS_TOKEN: DO_TOKEN,
      DIGITALOCEAN_API_URL: digitalocean.url,
      MACHINE_DIGITALOCEAN_POLL_SECONDS: '0.05',
      MACHINE_OPENSTACK_POLL_SECONDS: '0.05',
      MACHINE_STORAGE_PATH: sb.store,
      ...extra,
    });

  const machine = (args: string[]): Promise<Result> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    });

  /** The command as the leader of its own process group, as a shell runs a job. */
  const startCommand = (args: string[]): Running => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out, exit: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))) };
  };

  const createArgs = (driver: DriverName, name: string): string[] => {
    switch (driver) {
      case 'generic':
        return ['create', name, ...genericFlags(genericHost)];
      case 'amazonec2':
        return ['create', name, '-d', 'amazonec2', '--amazonec2-endpoint', ec2.url];
      case 'docker':
        return ['create', name, '-d', 'docker', '--docker-network', network];
      case 'digitalocean':
        return ['create', name, '-d', 'digitalocean'];
      case 'openstack': {
        // A floating IP from the pool, so that its release is judged too.
        const flags = openstackFlags(openstack, { 'openstack-net-name': 'private', 'openstack-floatingip-pool': 'public' });
        return ['create', name, '-d', 'openstack', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)])];
      }
      case 'virtualbox':
        return ['create', name, '-d', 'virtualbox'];
    }
  };

  /** The endpoint fault of a run, set before its command starts and cleared after. */
  const injectApiFault = (plan: Plan): void => {
    if (plan.apiFault === 'none') return;
    const creating = plan.op === 'create';
    switch (plan.driver) {
      case 'digitalocean':
        if (plan.apiFault === '5xx') digitalocean.serverErrors(2, creating ? 'droplets_create' : 'droplets_destroy');
        else digitalocean.throttle(2, { operation: creating ? 'droplets_create' : 'droplets_destroy', resetSeconds: 1 });
        return;
      case 'openstack':
        openstack.faults.inject(plan.apiFault === '5xx' ? openstackFault(503) : openstackFault(429, 'Rate limit exceeded, retry later'), { operation: creating ? 'servers.create' : 'servers.delete', times: 2 });
        return;
      case 'virtualbox':
        virtualbox.faults.inject(notReady(), { operation: creating ? 'createvm' : 'unregistervm', times: 3 });
        return;
      default:
        throw new Error(`no endpoint faults for ${plan.driver}`);
    }
  };
  const clearApiFaults = (): void => {
    digitalocean.faults.clear();
    openstack.faults.clear();
    virtualbox.faults.clear();
  };

  /** Machines in the store, by driver, from their records. */
  const storeMachines = (): Map<string, string> => {
    const out = new Map<string, string>();
    for (const name of sb.machines()) {
      try {
        const cfg = JSON.parse(fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8')) as { DriverName: string };
        out.set(name, cfg.DriverName);
      } catch {
        out.set(name, '?');
      }
    }
    return out;
  };

  /** Whether the machine's record carries the mark of a create that did not finish. */
  const unfinished = (name: string): boolean => {
    try {
      const cfg = JSON.parse(fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8')) as { Machine?: Record<string, unknown> };
      return cfg.Machine?.CreateIncomplete !== undefined;
    } catch {
      return true;
    }
  };

  /** Errors `ls` shows, by machine. */
  const lsErrors = async (): Promise<Map<string, string>> => {
    const r = await machine(['ls', '--timeout', '20', '--format', '{{.Name}}\t{{.State}}\t{{.Error}}']);
    assert.equal(r.code, 0, explain(r));
    const out = new Map<string, string>();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [name, state, error] = line.split('\t');
      out.set(name, error || (state === 'Running' ? '' : `state ${state}`));
    }
    return out;
  };

  /** Everything the drivers made belongs to a machine in the store. */
  const assertNothingOrphaned = async (what: string) => {
    const machines = storeMachines();
    const count = (driver: string) => [...machines.values()].filter((d) => d === driver).length;
    await ec2.settle();
    // An orphan fails the run that made it, once: later runs are judged on their own.
    const fresh = (ids: string[]) => {
      const out = ids.filter((id) => !reported.has(id));
      out.forEach((id) => reported.add(id));
      return out;
    };
    const instances = ec2.liveInstances().filter((i) => machines.get(i.tags.get('Name') ?? '') !== 'amazonec2');
    const keyPairs = [...ec2.keyPairs.keys()].filter((k) => machines.get(k) !== 'amazonec2');
    const orphans = [...fresh(instances.map((i) => `instance ${i.instanceId} (${i.tags.get('Name') ?? ''})`)), ...fresh(keyPairs.map((k) => `key pair ${k}`))];
    assert.deepEqual(orphans, [], `${what}: EC2 resources without a machine`);
    const groups = [...ec2.securityGroups.values()].map((g) => g.groupName).filter((g) => g !== 'default');
    if (count('amazonec2') === 0) assert.deepEqual(groups.filter((g) => g !== 'docker-machine'), [], `${what}: security groups left`);
    assert.deepEqual(fresh(await cloudOrphans(machines)), [], `${what}: cloud resources without a machine`);
    const label = [`io.machine.store=${sb.store}`];
    const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label }) });
    const volumes = (await docker.listVolumes({ filters: JSON.stringify({ label }) })).Volumes ?? [];
    const owner = (labels: Record<string, string> | undefined) => labels?.['io.machine.name'] ?? '?';
    assert.deepEqual(
      containers.map((c) => owner(c.Labels)).filter((n) => machines.get(n) !== 'docker'),
      [],
      `${what}: containers without a machine`,
    );
    assert.deepEqual(
      volumes.map((v) => owner(v.Labels ?? undefined)).filter((n) => machines.get(n) !== 'docker'),
      [],
      `${what}: volumes without a machine`,
    );
  };

  /** What the DigitalOcean, OpenStack and VirtualBox endpoints hold that no machine of theirs owns. */
  const cloudOrphans = async (machines: Map<string, string>): Promise<string[]> => {
    const owned = (name: string, driver: DriverName) => machines.get(name) === driver;
    await Promise.all([digitalocean.settle(), openstack.settle()]);
    const out: string[] = [];
    for (const d of digitalocean.droplets.values()) if (!d.deleted && !owned(d.name, 'digitalocean')) out.push(`droplet ${d.id} (${d.name})`);
    for (const k of digitalocean.keys.values()) if (!owned(k.name, 'digitalocean')) out.push(`DigitalOcean key ${k.name}`);
    const serverNames = new Map([...openstack.servers.values()].map((srv) => [srv.id, srv.name]));
    for (const srv of openstack.servers.values()) if (!owned(srv.name, 'openstack')) out.push(`server ${srv.id} (${srv.name})`);
    // Key pairs are named <machine>-<8 hex digits>, security groups machine-<machine>.
    for (const kp of openstack.keyPairs.values()) if (!owned(kp.name.replace(/-[0-9a-f]{8}$/, ''), 'openstack')) out.push(`key pair ${kp.name}`);
    for (const g of openstack.securityGroups.values()) if (g.name !== 'default' && !owned(g.name.replace(/^machine-/, ''), 'openstack')) out.push(`security group ${g.name}`);
    for (const f of openstack.floatingIps.values()) {
      const port = f.portId ? openstack.ports.get(f.portId) : undefined;
      if (!owned(serverNames.get(port?.deviceId ?? '') ?? '', 'openstack')) out.push(`floating IP ${f.address}`);
    }
    for (const v of openstack.volumes.values()) if (!owned(serverNames.get(v.attachedTo ?? '') ?? '', 'openstack')) out.push(`volume ${v.id} (${v.name})`);
    for (const vm of virtualbox.vms) if (!owned(vm.name, 'virtualbox')) out.push(`VM ${vm.name}`);
    const machineOfDisk = (file: string) => path.relative(path.join(sb.store, 'machines'), file).split(path.sep)[0];
    for (const m of virtualbox.media) if (!owned(machineOfDisk(m.path), 'virtualbox')) out.push(`disk ${m.path}`);
    if (virtualbox.liveHosts > virtualbox.vms.length) out.push(`${virtualbox.liveHosts - virtualbox.vms.length} host(s) behind no VM`);
    return out;
  };

  /** No process of the run, no socket directory, no lock of a live process. */
  const assertNoneLeft = async (what: string) => {
    assert.deepEqual(await sb.leftoverProcesses(45_000), [], `${what}: processes left`);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('machine-') && !f.includes('.lock')), [], `${what}: socket directories left`);
    const locks = path.join(sb.store, 'locks');
    const held = fs.existsSync(locks)
      ? fs
          .readdirSync(locks)
          .filter((f) => f.endsWith('.holder'))
          .filter((f) => {
            const pid = (JSON.parse(fs.readFileSync(path.join(locks, f), 'utf8')) as { pid: number }).pid;
            const st = processStat(pid);
            return st !== undefined && st.state !== 'Z';
          })
      : [];
    assert.deepEqual(held, [], `${what}: locks held by live processes`);
  };

  /** A healthy machine of this driver to interrupt an operation on (made without faults when needed). */
  const ready = async (driver: DriverName): Promise<string> => {
    const name = `fi-${driver}`;
    if (storeMachines().get(name) === driver && !unfinished(name)) {
      // `status` starts only this machine's driver; `ls` would start them all.
      const status = await machine(['status', name]);
      if (status.code === 0 && status.stdout.trim() === 'Running') return name;
    }
    if (storeMachines().has(name)) {
      const rm = await machine(['rm', '-f', name]);
      assert.equal(rm.code, 0, explain(rm));
    }
    const r = await machine(createArgs(driver, name));
    assert.equal(r.code, 0, `setting up ${name}: ${explain(r)}`);
    return name;
  };

  const driverPid = (cliPid: number): number | undefined => {
    for (const pid of sb.processes()) {
      const st = processStat(pid);
      if (st?.ppid !== cliPid) continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (/driver/.test(cmd)) return pid;
    }
    return undefined;
  };

  before(async function () {
    this.timeout(900_000);
    fs.mkdirSync(tmp);
    fs.mkdirSync(home);
    console.log(`      fault-injection seed: ${SEED} (replay with MACHINE_FAULT_SEED=${SEED})`);
    hosts = new TestHostProvider();
    [genericHost, ec2, digitalocean, openstack, virtualbox, images] = await Promise.all([
      startHost({ flavour: 'docker' }),
      startFakeEc2({ hosts, timings: { pendingMs: 300, stoppingMs: 100, shuttingDownMs: 100, spotFulfilMs: 300 } }),
      startFakeDigitalOcean({ hosts, timings: { newMs: 300, actionMs: 50 } }),
      startFakeOpenStack({ hosts, timings: { buildMs: 300, actionMs: 50, deleteMs: 50 } }),
      startFakeVirtualBox(path.join(sb.dir, 'vbox'), { hosts }),
      startImageServer({ 'noble-server-cloudimg-amd64.vmdk': fakeImage() }),
    ]);
  });

  after(async () => {
    for (const name of sb.machines()) await machine(['rm', '-f', name]);
    const label = [`io.machine.store=${sb.store}`];
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    await docker.getNetwork(network).remove().catch(() => undefined);
    await ec2?.close();
    await digitalocean?.close();
    await openstack?.close();
    await virtualbox?.close();
    await images?.close();
    await hosts?.removeAll();
    await genericHost?.remove().catch(() => undefined);
    sb.cleanup();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`      replay: MACHINE_FAULT_SEED=${SEED}\n${log.slice(-3).join('\n')}`);
    }
  });

  plans(SEED).forEach((plan, index) => {
    it(`#${index + 1} ${describePlan(plan)}`, async () => {
      const what = `#${index + 1} ${describePlan(plan)} (seed ${SEED})`;
      const name = plan.op === 'create' ? `fi-${plan.driver}-c${index + 1}` : await ready(plan.driver);
      const args = plan.op === 'create' ? createArgs(plan.driver, name) : plan.op === 'rm' ? ['rm', '-y', name] : [plan.op, name];
      injectApiFault(plan);
      const run = startCommand(args);
      const cliPid = run.child.pid as number;
      let exited = false;
      void run.exit.then(() => (exited = true));
      await new Promise((r) => setTimeout(r, plan.delayMs));
      let sent = plan.target;
      const signalled = !exited;
      if (signalled) {
        if (plan.target === 'cli') process.kill(cliPid, plan.sig);
        else if (plan.target === 'group') process.kill(-cliPid, plan.sig);
        else {
          const pid = driverPid(cliPid);
          if (pid !== undefined) process.kill(pid, plan.sig);
          else {
            // No driver running at this moment (before its launch or after its close): the CLI gets it.
            sent = 'cli';
            process.kill(cliPid, plan.sig);
          }
        }
      }
      const { code, signal } = await run.exit;
      clearApiFaults();
      log.push(`${what}: ${signalled ? `signalled the ${sent}` : 'finished before the signal'}, exit ${code ?? signal}\n${run.output()}`);
      // The endpoint's faults are all survivable: a cloud command that ended before the signal succeeded.
      if (!signalled && CLOUD_DRIVERS.includes(plan.driver)) assert.equal(code, 0, `${what}: ended by itself with exit ${code ?? signal}\n${run.output()}`);
      if (signalled && plan.sig !== 'SIGKILL' && sent !== 'driver') {
        const expected = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[plan.sig];
        // Killed by the signal itself: it came before the command had started
        // anything (the handlers come with the first driver) or while it was
        // already exiting. What it leaves is checked below either way.
        const killedBySignal = signal === plan.sig;
        // start on a running machine (stop/kill on a stopped one) refuses at once with exit 1, as the reference does: finished work too.
        const refusedNoOp = code === 1 && /Machine "[^"]+" is already (running|stopped)\./.test(run.output());
        assert.ok(code === expected || code === 0 || refusedNoOp || killedBySignal, `${what}: exit ${code ?? signal}, wanted ${expected} (or 0, or the no-op refusal's 1, when the work had just finished)\n${run.output()}`);
      }
      if (plan.sig === 'SIGKILL' && sent !== 'driver') {
        // Killed outright, the CLI and its driver could not remove their
        // socket directory: the next command that launches a driver does,
        // and so does an ls that launched none (every machine proved it
        // runs), while status may do neither.
        // What ls prints about the half-made machine is checked below.
        await machine(['ls']);
      }
      await assertNoneLeft(what);

      // A create that did not finish is either gone or marked; rm -f then removes it and what it made.
      // Finished just as the signal came: complete, whatever the exit code.
      const created = code === 0 || /To see how to connect your Docker Client/.test(run.output());
      if (plan.op === 'create' && storeMachines().has(name)) {
        if (!created) {
          const errors = await lsErrors();
          assert.ok(errors.get(name), `${what}: an unfinished create looks healthy in ls\n${run.output()}`);
        }
        const rm = await machine(['rm', '-f', name]);
        assert.equal(rm.code, 0, `${what}: rm -f ${name}: ${explain(rm)}`);
      }
      if (plan.op === 'rm' && storeMachines().has(name) && (await lsErrors()).get(name)) {
        const rm = await machine(['rm', '-f', name]);
        assert.equal(rm.code, 0, `${what}: rm -f ${name}: ${explain(rm)}`);
      }
      await assertNoneLeft(what);
      await assertNothingOrphaned(what);
      assert.deepEqual(sb.storeProblems().filter((p) => !p.startsWith('lock left')), [], `${what}: store problems`);
    });
  });
});
