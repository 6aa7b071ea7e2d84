// The test-host facility against the real engine: every flavour boots its
// init, answers SSH with the run's key, and goes away without a trace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  cleanupAbandonedTestHosts,
  cleanupTestHosts,
  engine,
  LABEL_RUN,
  runId,
  sshRun,
  SUDO_USER,
  TestHostProvider,
  useTestHosts,
  type TestHost,
} from '../hosts';

function ssh(host: TestHost, command: string) {
  return sshRun(host.ip, host.user, fs.readFileSync(host.privateKeyPath), command);
}

async function ok(host: TestHost, command: string): Promise<string> {
  const r = await host.exec(command);
  assert.equal(r.code, 0, `${command} on ${host.name} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('test hosts', function () {
  this.timeout(120_000);
  const hosts = useTestHosts();

  before(async () => {
    const { imageIsCurrent, IMAGE_FLAVOURS } = await import('@machine/driver-docker/lib/image');
    for (const flavour of IMAGE_FLAVOURS) {
      if (!(await imageIsCurrent({ docker: engine(), flavour }))) {
        throw new Error(`the ${flavour} test-host image is missing or stale; build it with: node test/lib/hosts/prepare.js`);
      }
    }
  });

  describe('docker flavour', () => {
    let host: TestHost;
    before(async () => {
      host = await hosts.start({ flavour: 'docker' });
    });

    it('runs systemd as PID 1 and answers SSH as root with the run key', async () => {
      const r = await ssh(host, 'id -un; cat /proc/1/comm; systemctl is-system-running --wait');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.deepEqual(r.stdout.trim().split('\n'), ['root', 'systemd', 'running']);
      assert.equal(host.port, 22);
      assert.equal(host.flavour, 'docker');
    });

    it("starts its own dockerd with the vfs storage driver, which runs containers", async () => {
      await ok(host, 'systemctl start docker');
      const r = await ssh(host, "docker info --format '{{.Driver}} {{.ServerVersion}}'");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^vfs 20\.10\./);
      // A container inside the host, from an image made of the host's own files.
      const run = await ok(
        host,
        'tar -C / -ch usr/bin/echo usr/lib/x86_64-linux-gnu/libc.so.6 lib64/ld-linux-x86-64.so.2 | docker import - tiny >/dev/null && docker run --rm tiny /usr/bin/echo inner-ok',
      );
      assert.equal(run.trim(), 'inner-ok');
    });

    it('is a distinct host: its own SSH host key and machine id', async () => {
      const other = await hosts.start({ flavour: 'docker' });
      const facts = (h: TestHost) => ok(h, 'cat /etc/ssh/ssh_host_ed25519_key.pub /etc/machine-id');
      const [a, b] = await Promise.all([facts(host), facts(other)]);
      assert.match(a, /^ssh-ed25519 /);
      assert.notEqual(a, b);
      assert.notEqual(host.ip, other.ip);
      await other.remove();
    });

    it('keeps its host key across stop and start, and dies on kill', async () => {
      const key = await ok(host, 'cat /etc/ssh/ssh_host_ed25519_key.pub');
      await host.stop();
      assert.equal((await engine().getContainer(host.containerId).inspect()).State.Running, false);
      await host.start();
      assert.equal(await ok(host, 'cat /etc/ssh/ssh_host_ed25519_key.pub'), key);
      assert.equal((await ssh(host, 'true')).code, 0);
      await host.kill();
      const state = (await engine().getContainer(host.containerId).inspect()).State;
      assert.equal(state.Running, false);
      assert.equal(state.ExitCode, 137);
    });
  });

  describe('sudo-user flavour', () => {
    let host: TestHost;
    before(async () => {
      host = await hosts.start({ flavour: 'sudo-user' });
    });

    it('logs in as a non-root user with passwordless sudo', async () => {
      assert.equal(host.user, SUDO_USER);
      const r = await ssh(host, 'id -un; sudo -n id -un');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [SUDO_USER, 'root']);
    });

    it('does not let the key in as root', async () => {
      await assert.rejects(sshRun(host.ip, 'root', fs.readFileSync(host.privateKeyPath), 'true'), /authentication/i);
    });
  });

  describe('without Docker, offline', () => {
    // An internal network has no route out: Docker must come from the
    // image's local repository of Debian's packages.
    let systemdHost: TestHost;
    let sysvHost: TestHost;
    let netName = '';
    before(async () => {
      const net = await hosts.network({ internal: true });
      netName = net.name;
      [systemdHost, sysvHost] = await Promise.all([hosts.start({ flavour: 'nodocker', network: net }), hosts.start({ flavour: 'sysvinit', network: net })]);
    });

    it('has no Docker, on a network with no way out', async () => {
      assert.equal((await engine().getNetwork(netName).inspect()).Internal, true);
      for (const h of [systemdHost, sysvHost]) {
        assert.equal(h.network, netName);
        assert.notEqual((await h.exec('command -v dockerd')).code, 0, `${h.flavour} has dockerd`);
      }
    });

    it('the sysvinit host runs sysvinit with no systemd at all, and sshd under it', async () => {
      const r = await ssh(sysvHost, 'cat /proc/1/comm; test -d /run/systemd/system || echo no-systemd; command -v systemctl || echo no-systemctl; service ssh status');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /^init\nno-systemd\nno-systemctl\n/);
      assert.match(r.stdout, /sshd is running/);
    });

    it("installs docker.io from the distribution's packages with no network, and its dockerd runs (systemd and sysvinit)", async function () {
      this.timeout(300_000);
      const install = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io </dev/null';
      await Promise.all([ok(systemdHost, install), ok(sysvHost, install)]);
      await ok(systemdHost, 'systemctl start docker');
      // On sysvinit the package's postinst has started it already; a start is harmless.
      await ok(sysvHost, 'service docker start');
      for (const h of [systemdHost, sysvHost]) {
        let last = '';
        for (let i = 0; i < 60; i++) {
          const r = await h.exec("docker info --format '{{.Driver}}'");
          last = r.stdout.trim() + r.stderr.trim();
          if (r.code === 0) break;
          await new Promise((res) => setTimeout(res, 500));
        }
        assert.equal(last, 'vfs', `dockerd on the ${h.flavour} host`);
      }
    });
  });

  describe('hosts for cloud fakes', () => {
    it('launches a host with the instance user and keys, and follows stop and start', async () => {
      const { generateEd25519HostKey } = await import('@machine/driver-sdk');
      const made = generateEd25519HostKey('cloud-fake-test');
      const pair = { public: made.publicKey, private: made.privateKey };
      const provider = new TestHostProvider({ flavourFor: () => 'nodocker' });
      try {
        const backing = await provider.launch({ id: 'i-0123', user: 'ubuntu', authorizedKeys: [pair.public], image: 'ami-debian' });
        const r = await sshRun(backing.ip, 'ubuntu', pair.private, 'id -un; sudo -n true && echo sudo-ok');
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split('\n'), ['ubuntu', 'sudo-ok']);
        await backing.stop();
        const ip = await backing.start();
        assert.equal(ip, backing.ip);
        assert.equal((await sshRun(ip, 'ubuntu', pair.private, 'true')).code, 0);
        await backing.destroy();
        await assert.rejects(engine().getContainer(provider.hosts[0].containerId).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
      } finally {
        await provider.removeAll();
      }
    });
  });

  describe('cleanup', () => {
    // Another test run, in its own process: it starts a host on a network of
    // its own and exits without cleaning up, as a crashed run would.
    async function leaveRunBehind(run: string): Promise<void> {
      const { execFile } = await import('node:child_process');
      const script = `require(${JSON.stringify(require.resolve('../hosts'))}).createTestNetwork().then((n) => require(${JSON.stringify(require.resolve('../hosts'))}).startHost({ flavour: 'nodocker', network: n, waitForSSH: false })).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['-e', script], { env: { ...process.env, MACHINE_TEST_RUN_ID: run } }, (err, _out, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve())),
      );
    }
    const ofRun = async (run: string) => {
      const filters = JSON.stringify({ label: [`${LABEL_RUN}=${run}`] });
      return { containers: await engine().listContainers({ all: true, filters }), networks: await engine().listNetworks({ filters }) };
    };

    it("removes a run's hosts and networks, and nothing of other runs or unlabelled", async () => {
      const docker = engine();
      const { imageTag } = await import('@machine/driver-docker/lib/image');
      const mine = await hosts.start({ flavour: 'nodocker' });
      const unlabelled = await docker.createContainer({ Image: imageTag('nodocker'), Cmd: ['true'] });
      const other = `${runId}-other`;
      try {
        await leaveRunBehind(other);
        const before = await ofRun(other);
        assert.equal(before.containers.length, 1);
        assert.equal(before.networks.length, 1);
        assert.deepEqual(await cleanupTestHosts(other), { containers: 1, networks: 1 });
        assert.deepEqual(await ofRun(other), { containers: [], networks: [] });
        assert.equal((await docker.getContainer(mine.containerId).inspect()).State.Running, true);
        assert.equal((await unlabelled.inspect()).Id, unlabelled.id);

        // And this run's own cleanup leaves nothing of it.
        await cleanupTestHosts();
        assert.deepEqual(await ofRun(runId), { containers: [], networks: [] });
      } finally {
        await unlabelled.remove({ force: true });
        await cleanupTestHosts(other);
      }
    });

    it('removes what runs whose processes have ended left behind, and never a live run', async () => {
      const mine = await hosts.start({ flavour: 'nodocker' });
      const ended = `${runId}-ended`;
      try {
        await leaveRunBehind(ended);
        const removed = await cleanupAbandonedTestHosts();
        assert.ok(removed.includes(ended), `removed runs: ${removed.join(', ')}`);
        assert.ok(!removed.includes(runId));
        assert.deepEqual(await ofRun(ended), { containers: [], networks: [] });
        assert.equal((await engine().getContainer(mine.containerId).inspect()).State.Running, true);
      } finally {
        await cleanupTestHosts(ended);
      }
    });
  });
});
