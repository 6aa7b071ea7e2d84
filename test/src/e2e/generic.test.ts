// The generic driver end to end: the real CLI registers real test hosts of
// every flavour (Docker present, Docker absent, a sudo user, sysvinit),
// provisions them over SSH, and the real docker client uses them through
// `machine env` and `machine config`.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startHost, type TestHost, type TestHostFlavour } from '../hosts';
import { busyboxTarball, CLI, explain, genericFlags, LOCAL_IMAGE, run, Sandbox } from './generic-support';

interface FlavourCase {
  flavour: TestHostFlavour;
  /** Extra create flags: hosts without Docker install it from the distribution's packages. */
  createFlags: string[];
  installs: boolean;
  provisioner: RegExp;
  /** The longer scenarios run once, on the flavour that has Docker already. */
  full: boolean;
}

const CASES: FlavourCase[] = [
  { flavour: 'docker', createFlags: [], installs: false, provisioner: /debian\(systemd\)/, full: true },
  { flavour: 'nodocker', createFlags: ['--engine-install-url', 'distro', '--engine-storage-driver', 'vfs'], installs: true, provisioner: /debian\(systemd\)/, full: false },
  { flavour: 'sudo-user', createFlags: ['--engine-install-url', 'distro', '--engine-storage-driver', 'vfs'], installs: true, provisioner: /debian\(systemd\)/, full: false },
  { flavour: 'sysvinit', createFlags: ['--engine-install-url', 'distro', '--engine-storage-driver', 'vfs'], installs: true, provisioner: /debian\(sysvinit\)/, full: false },
];

describe('generic driver, end to end on real hosts', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  let tarball: string;

  before(async () => {
    tarball = await busyboxTarball(sb.dir);
  });

  after(() => sb.cleanup());

  for (const c of CASES) {
    describe(`on a "${c.flavour}" host`, () => {
      let host: TestHost;
      const name = `gen-${c.flavour}`;

      before(async () => {
        host = await startHost({ flavour: c.flavour });
      });

      after(async () => {
        await sb.cli(['rm', '-f', name]);
        await host?.remove();
      });

      it('creates and provisions the machine', async () => {
        const r = await sb.ok(['create', ...genericFlags(host), ...c.createFlags, '--json', name]);
        const out = JSON.parse(r.stdout) as { URL: string; IP: string; Provisioner: string; InstalledDocker: boolean; DockerVersion: string; Phases: Record<string, number> };
        assert.equal(out.IP, host.ip);
        assert.equal(out.URL, `tcp://${host.ip}:2376`);
        assert.match(out.Provisioner, c.provisioner);
        assert.equal(out.InstalledDocker, c.installs, 'Docker must be installed exactly when the host lacks it');
        assert.ok(out.DockerVersion, 'the engine answered with its version');
        for (const phase of ['sshWait', 'detection', 'certificates', 'configuration', 'daemonWait']) assert.ok(phase in out.Phases, `phase ${phase} is reported`);
        assert.match(r.stderr, /Checking connection to Docker\.\.\./);
        assert.match(r.stderr, /Docker is up and running!/);
        // The machine's record: host key recorded, certificate issued for its address.
        const config = JSON.parse(fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8'));
        assert.equal(config.DriverName, 'generic');
        assert.equal(config.Driver.IPAddress, host.ip);
        assert.match(config.Machine.SSHHostKey, /^(ssh-|ecdsa-)/);
        assert.equal(config.Machine.CertIP, host.ip);
        const st = fs.statSync(path.join(sb.store, 'machines', name, 'id_rsa'));
        assert.equal(st.mode & 0o777, 0o600);
        // The daemon listens with TLS and the machine's certificates, labelled with the provider.
        const info = await sb.docker(name, ['info', '--format', '{{json .Labels}}']);
        assert.equal(info.code, 0, explain(info));
        assert.match(info.stdout, /provider=generic/);
      });

      it('runs a locally imported image through eval $(machine env)', async () => {
        const imported = await sb.docker(name, ['import', tarball, LOCAL_IMAGE]);
        assert.equal(imported.code, 0, explain(imported));
        const r = await sb.docker(name, ['run', '--rm', LOCAL_IMAGE, '/bin/echo', `hello from ${name}`]);
        assert.equal(r.code, 0, explain(r));
        assert.equal(r.stdout.trim(), `hello from ${name}`);
      });

      it('reports it in ls, status, ip, url, config and inspect', async () => {
        const ls = await sb.ok(['ls']);
        const row = ls.stdout.split('\n').find((l) => l.startsWith(`${name} `));
        assert.ok(row, `ls lists ${name}:\n${ls.stdout}`);
        assert.match(row, /\bgeneric\b/);
        assert.match(row, /\bRunning\b/);
        assert.ok(row.includes(`tcp://${host.ip}:2376`));
        assert.equal((await sb.ok(['status', name])).stdout.trim(), 'Running');
        assert.equal((await sb.ok(['ip', name])).stdout.trim(), host.ip);
        assert.equal((await sb.ok(['url', name])).stdout.trim(), `tcp://${host.ip}:2376`);
        const ps = await run('bash', ['-c', `docker $(node '${CLI}' config ${name}) ps --format '{{.ID}}'`], { env: sb.env() });
        assert.equal(ps.code, 0, explain(ps));
        const inspect = JSON.parse((await sb.ok(['inspect', name])).stdout) as { DriverName: string; Driver: { IPAddress: string; SSHUser: string } };
        assert.equal(inspect.DriverName, 'generic');
        assert.equal(inspect.Driver.IPAddress, host.ip);
        assert.equal(inspect.Driver.SSHUser, host.user);
      });

      it('runs commands over ssh and passes their exit code through', async () => {
        const r = await sb.ok(['ssh', name, '--', 'echo', 'ssh-ok', '&&', 'id', '-un']);
        assert.deepEqual(r.stdout.trim().split('\n'), ['ssh-ok', host.user]);
        const failed = await sb.cli(['ssh', name, 'exit', '7']);
        assert.equal(failed.code, 7, explain(failed));
        const external = await sb.cli(['--native-ssh=false', 'ssh', name, 'exit', '5']);
        assert.equal(external.code, 5, explain(external));
      });

      it('copies files both ways with scp', async () => {
        const local = path.join(sb.dir, `${name}.txt`);
        fs.writeFileSync(local, `payload for ${name}\n`);
        await sb.ok(['scp', '-q', local, `${name}:/tmp/copied.txt`]);
        const back = path.join(sb.dir, `${name}.back.txt`);
        await sb.ok(['scp', '-q', `${name}:/tmp/copied.txt`, back]);
        assert.equal(fs.readFileSync(back, 'utf8'), `payload for ${name}\n`);
      });

      if (c.full) {
        it('regenerate-certs issues new certificates and keeps containers running', async () => {
          const started = await sb.docker(name, ['run', '-d', '--name', 'keeper', LOCAL_IMAGE, '/bin/sleep', '3600']);
          assert.equal(started.code, 0, explain(started));
          const before = fs.readFileSync(path.join(sb.store, 'machines', name, 'server.pem'), 'utf8');
          const r = await sb.ok(['regenerate-certs', '-f', name]);
          assert.match(r.stdout, /Regenerating TLS certificates/);
          assert.notEqual(fs.readFileSync(path.join(sb.store, 'machines', name, 'server.pem'), 'utf8'), before);
          const state = await sb.docker(name, ['inspect', '--format', '{{.State.Running}}', 'keeper']);
          assert.equal(state.stdout.trim(), 'true', explain(state));
        });

        it('provision runs again over the recorded host key', async () => {
          const r = await sb.ok(['provision', name]);
          assert.match(r.stdout, /Docker is up and running!/);
          const v = await sb.docker(name, ['version', '--format', '{{.Server.Version}}']);
          assert.equal(v.code, 0, explain(v));
        });

        it('restart reboots the host over SSH and the engine comes back', async () => {
          const restarting = sb.cli(['restart', name], { timeoutMs: 300_000 });
          // A container has nothing to boot it again: play the firmware's part.
          const deadline = Date.now() + 120_000;
          while (Date.now() < deadline) {
            const s = await run('docker', ['inspect', '--format', '{{.State.Running}}', host.containerId]);
            if (s.stdout.trim() === 'false') break;
            await new Promise((res) => setTimeout(res, 200));
          }
          await host.start();
          const r = await restarting;
          assert.equal(r.code, 0, explain(r));
          assert.match(r.stdout, /Restarting "gen-docker"\.\.\./);
          assert.match(r.stdout, /Restarted machines may have new IP addresses/);
          const v = await sb.docker(name, ['run', '--rm', LOCAL_IMAGE, '/bin/echo', 'after restart']);
          assert.equal(v.stdout.trim(), 'after restart', explain(v));
        });

        it('lists and uses a store written in the reference layout', async () => {
          // The same machine, recorded as Docker Machine writes it: no extra
          // key, paths under another store root.
          const refRoot = path.join(sb.dir, 'reference-store');
          const refDir = path.join(refRoot, 'machines', name);
          fs.mkdirSync(path.join(refRoot, 'certs'), { recursive: true, mode: 0o700 });
          fs.mkdirSync(refDir, { recursive: true, mode: 0o700 });
          for (const f of ['ca.pem', 'ca-key.pem', 'cert.pem', 'key.pem']) fs.copyFileSync(path.join(sb.store, 'certs', f), path.join(refRoot, 'certs', f));
          for (const f of ['ca.pem', 'cert.pem', 'key.pem', 'server.pem', 'server-key.pem', 'id_rsa']) fs.copyFileSync(path.join(sb.store, 'machines', name, f), path.join(refDir, f));
          const ours = JSON.parse(fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8'));
          const swap = (v: unknown): unknown => (typeof v === 'string' ? v.split(sb.store).join(refRoot) : Array.isArray(v) ? v.map(swap) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)])) : v);
          const reference = swap({ ConfigVersion: 3, Driver: ours.Driver, DriverName: 'generic', HostOptions: ours.HostOptions, Name: name }) as Record<string, unknown>;
          fs.writeFileSync(path.join(refDir, 'config.json'), JSON.stringify(reference, null, 4), { mode: 0o600 });
          const env = { MACHINE_STORAGE_PATH: refRoot };
          const ls = await sb.ok(['ls'], { env });
          assert.match(ls.stdout, new RegExp(`^${name}\\s+-\\s+generic\\s+Running\\s+tcp://${host.ip.replace(/\./g, '\\.')}:2376`, 'm'));
          const sh = await sb.ok(['ssh', name, 'echo', 'reference-ok'], { env });
          assert.equal(sh.stdout.trim(), 'reference-ok');
          const ps = await run('bash', ['-c', `docker $(node '${CLI}' config ${name}) ps -a --format '{{.Names}}'`], { env: sb.env(env) });
          assert.equal(ps.code, 0, explain(ps));
          assert.match(ps.stdout, /keeper/);
        });
      }

      it('rm removes the machine from the store and leaves nothing running', async () => {
        const r = await sb.ok(['rm', '-y', name]);
        assert.match(r.stdout, new RegExp(`Successfully removed ${name}`));
        assert.ok(!sb.machines().includes(name));
        assert.deepEqual(sb.storeProblems(), []);
        assert.deepEqual(await sb.leftoverProcesses(), []);
      });
    });
  }
});
