// The virtualbox driver end to end: the real CLI creates machines through
// the stand-in VBoxManage, whose VMs are real test hosts (containers with
// sshd and dockerd) booted with the cloud-init seed's key, provisions them
// over SSH through the NAT port forward and drives them with the real docker
// client through `machine env`.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IP_PROPERTY, notReady, startFakeVirtualBox, type FakeVirtualBox } from '../fakes/virtualbox';
import { HOSTONLY_BASE, HOSTONLY_CIDR, fakeImage, startImageServer, tempDir, vboxEnv, type ImageServer } from '../fakes/virtualbox/harness';
import { TestHostProvider } from '../hosts';
import { assertHostsGone, cliUser, until } from './cloud-support';
import { CLI, busyboxTarball, cliEnv, explain, run } from './generic-support';

const IMAGE = 'e2e/busybox:latest';

describe('virtualbox driver (e2e, VBoxManage stand-in with real hosts)', function () {
  this.timeout(900_000);
  let tmp: string;
  let store: string;
  let fake: FakeVirtualBox;
  let hosts: TestHostProvider;
  let images: ImageServer;
  let tarball: string;
  let imageUrl: string;

  const env = (extra: NodeJS.ProcessEnv = {}) => cliEnv(store, vboxEnv(fake, { VIRTUALBOX_IMAGE_URL: imageUrl, ...extra }));
  const { machine, ok, docker, rows: states } = cliUser(env);

  /** The stand-in holds nothing machine made: no VM, no disk, no host, no forward. */
  const assertNothingLeft = async () => {
    await until(() => fake.vms.length === 0 && fake.liveHosts === 0, 'every VM is gone');
    assert.deepEqual(fake.media.map((m) => m.path), []);
    assert.equal(fake.forwardCount, 0);
    const saved = JSON.parse(fs.readFileSync(fake.stateFile, 'utf8')) as { vms: unknown[]; media: unknown[] };
    assert.deepEqual([saved.vms.length, saved.media.length], [0, 0]);
    await assertHostsGone(hosts, 'removed VM');
  };

  before(async () => {
    tmp = tempDir('machine-e2e-vbox-');
    store = path.join(tmp, 'store');
    hosts = new TestHostProvider();
    fake = await startFakeVirtualBox(path.join(tmp, 'vbox'), { hosts });
    images = await startImageServer({ 'noble-server-cloudimg-amd64.vmdk': fakeImage() });
    imageUrl = `${images.url}/noble-server-cloudimg-amd64.vmdk`;
    tarball = await busyboxTarball(tmp);
  });

  after(async () => {
    await fake?.close();
    await images?.close();
    await hosts?.removeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('one machine through its whole life', () => {
    const name = 'vb-life';

    it('creates the machine from the cloud image, downloading it once into the cache', async () => {
      const r = await ok(['create', name, '-d', 'virtualbox', '--virtualbox-memory', '2048']);
      assert.match(r.stdout + r.stderr, /Creating VirtualBox VM vb-life/);
      const vm = fake.vm(name)!;
      assert.equal(vm.state, 'running');
      assert.equal(vm.settings.memory, '2048');
      const ip = fake.hostOf(name)!.ip;
      const row = (await states()).get(name);
      assert.deepEqual(row?.slice(2, 5), ['virtualbox', 'Running', `tcp://${ip}:2376`]);
      const cached = fs.readdirSync(path.join(store, 'cache', 'virtualbox'), { recursive: true }).map(String);
      assert.ok(cached.some((f) => f.endsWith('noble-server-cloudimg-amd64.vmdk')), cached.join(', '));
      const config = JSON.parse(fs.readFileSync(path.join(store, 'machines', name, 'config.json'), 'utf8')) as { Driver: Record<string, unknown> };
      assert.equal(config.Driver.SSHUser, 'docker');
      assert.equal(config.Driver.SSHPort, vm.forwards.find((f) => f.name === 'ssh')!.hostPort);
      assert.equal(config.Driver.HostOnlyCIDR, HOSTONLY_CIDR, 'from VIRTUALBOX_HOSTONLY_CIDR');
    });

    it('ls reads the address from the guest property and opens no SSH connection to the VM', async () => {
      const ip = fake.hostOf(name)!.ip;
      assert.equal(fake.vm(name)!.guestProperties[IP_PROPERTY], ip);
      // create waited for SSH through the NAT forward: the count sees SSH to this VM.
      const sshBefore = fake.connectionsThrough(name);
      assert.ok(sshBefore > 0, 'create reached the guest over SSH through the forward');
      // Without the DHCP server's leases only the guest property, or SSH, can tell the address.
      const leases = fs.readdirSync(fake.userHome).filter((f) => f.endsWith('-Dhcpd.leases'));
      assert.ok(leases.length > 0, 'the DHCP server leased the address');
      for (const f of leases) fs.rmSync(path.join(fake.userHome, f));
      const guestPropertyReads = (since: number) => fake.commands.slice(since).filter((c) => c[0] === 'guestproperty' && c[1] === 'get' && c.includes(IP_PROPERTY)).length;
      // ls lists a machine whose daemon proves it runs without asking the
      // driver; without the machine's server certificate there is no proof,
      // and the driver is asked: the path this checks.
      const serverCert = path.join(store, 'machines', name, 'server.pem');
      fs.renameSync(serverCert, `${serverCert}.aside`);
      const commandsBefore = fake.commands.length;
      try {
        for (let n = 0; n < 3; n++) {
          const row = (await states()).get(name);
          assert.deepEqual(row?.slice(2, 5), ['virtualbox', 'Running', `tcp://${ip}:2376`]);
        }
      } finally {
        fs.renameSync(`${serverCert}.aside`, serverCert);
      }
      assert.equal(fake.connectionsThrough(name), sshBefore, 'ls opened no SSH connection through the NAT forward');
      assert.equal(guestPropertyReads(commandsBefore), 3, 'each ls read the guest property');
      // With the certificate back, the engine's proof gives the row: no VBoxManage call for the address either.
      const provenBefore = fake.commands.length;
      const row = (await states()).get(name);
      assert.deepEqual(row?.slice(2, 5), ['virtualbox', 'Running', `tcp://${ip}:2376`]);
      assert.equal(guestPropertyReads(provenBefore), 0, 'the proven row asked no driver');
      assert.equal(fake.connectionsThrough(name), sshBefore);
    });

    it('runs a locally imported image through machine env', async () => {
      await docker(name, ['import', tarball, IMAGE]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/sh', '-c', 'echo hello from virtualbox']), 'hello from virtualbox');
    });

    it('logs in with machine ssh through the NAT port forward', async () => {
      const r = await ok(['ssh', name, 'id -un']);
      assert.equal(r.stdout.trim(), 'docker');
      const port = String(fake.vm(name)!.forwards.find((f) => f.name === 'ssh')!.hostPort);
      const inspect = JSON.parse((await ok(['inspect', name])).stdout) as { Driver: { SSHPort: number } };
      assert.equal(String(inspect.Driver.SSHPort), port);
    });

    it('stops, starts and restarts; docker answers after each', async () => {
      await ok(['stop', name]);
      assert.equal((await states()).get(name)?.[3], 'Stopped');
      assert.equal(fake.vm(name)!.state, 'poweroff');
      await ok(['start', name]);
      assert.equal((await states()).get(name)?.[3], 'Running');
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after start']), 'after start');
      await ok(['restart', name]);
      assert.equal(await docker(name, ['run', '--rm', IMAGE, '/bin/echo', 'after restart']), 'after restart');
    });

    it('removes the machine and everything it made in VirtualBox', async () => {
      await ok(['rm', '-y', name]);
      assert.equal((await states()).has(name), false);
      assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
      await assertNothingLeft();
    });
  });

  it('creates three machines in parallel, then removes them', async () => {
    const names = ['vb-par-1', 'vb-par-2', 'vb-par-3'];
    const results = await Promise.all(names.map((n) => machine(['create', n, '-d', 'virtualbox'])));
    results.forEach((r, i) => assert.equal(r.code, 0, `${names[i]}: ${explain(r)}`));
    const rows = await states();
    for (const n of names) assert.equal(rows.get(n)?.[3], 'Running', n);
    // One host-only network and one DHCP server serve all three.
    assert.equal(fake.hostOnlyIfs.length, 1);
    assert.equal(fake.dhcpServers.length, 1);
    assert.equal(new Set(names.map((n) => fake.vm(n)!.forwards[0].hostPort)).size, 3, 'each VM has its own SSH port');
    // The image was downloaded once, by the first create; the others found it in the cache.
    assert.equal(images.requests.filter((q) => q.path.endsWith('.vmdk')).length, 1);
    const rm = await machine(['rm', '-y', ...names]);
    assert.equal(rm.code, 0, explain(rm));
    await assertNothingLeft();
  });

  it('creates the disk from a raw image with convertfromraw, and the machine comes up', async () => {
    const name = 'vb-raw';
    // No magic bytes of any disk format: a raw disk, as the .img cloud images are.
    const raw = Buffer.alloc(384 * 1024);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 11 + 5) & 255;
    images.set('noble-server-cloudimg-amd64.img', raw);
    const before = fake.commands.length;
    await ok(['create', name, '-d', 'virtualbox'], { VIRTUALBOX_IMAGE_URL: `${images.url}/noble-server-cloudimg-amd64.img` });
    const vdi = path.join(store, 'machines', name, 'disk.vdi');
    const made = fake.commands.slice(before).filter((c) => ['convertfromraw', 'clonemedium'].includes(c[0]));
    assert.equal(made.length, 1, made.map((c) => c.join(' ')).join('\n'));
    const [command, source, target, ...rest] = made[0];
    assert.equal(command, 'convertfromraw');
    assert.equal(path.basename(source), 'noble-server-cloudimg-amd64.img');
    assert.ok(source.startsWith(path.join(store, 'cache', 'virtualbox') + path.sep), `converted from the cached download: ${source}`);
    assert.deepEqual(fs.readFileSync(source), raw);
    assert.deepEqual([target, ...rest], [vdi, '--format', 'VDI']);
    // The VDI VirtualBox wrote holds the raw image's bytes after its header, and is the VM's disk.
    assert.deepEqual(fs.readFileSync(vdi).subarray(512), raw);
    assert.ok(fake.media.some((m) => m.path === vdi && m.format === 'VDI'));
    const ip = fake.hostOf(name)!.ip;
    assert.deepEqual((await states()).get(name)?.slice(2, 5), ['virtualbox', 'Running', `tcp://${ip}:2376`]);
    assert.equal((await ok(['ssh', name, 'id -un'])).stdout.trim(), 'docker');
    await ok(['rm', '-y', name]);
    await assertNothingLeft();
  });

  it('an interrupted download resumes with Range requests, within one create and from the partial file in the next', async () => {
    const name = 'vb-resume';
    const file = 'resume-cloudimg-amd64.vmdk';
    const image = fakeImage(1024 * 1024);
    images.set(file, image);
    const url = `${images.url}/${file}`;
    const ranges = () => images.requests.filter((q) => q.path === `/${file}`).map((q) => q.range ?? 'whole');
    // Every one of the create's five attempts is cut after 100 KiB: each resumes where the last stopped, then create gives up.
    const cut = 100 * 1024;
    images.interrupt(5, cut);
    const failed = await machine(['create', name, '-d', 'virtualbox'], { VIRTUALBOX_IMAGE_URL: url });
    assert.notEqual(failed.code, 0, explain(failed));
    assert.match(failed.stdout + failed.stderr, /cannot download .*resume-cloudimg-amd64\.vmdk/, explain(failed));
    assert.deepEqual(ranges(), ['whole', ...[1, 2, 3, 4].map((n) => `bytes=${n * cut}-`)]);
    await assertNothingLeft();

    // The next create goes on from the partial file, and the whole image is what it verifies and uses.
    await ok(['create', name, '-d', 'virtualbox'], { VIRTUALBOX_IMAGE_URL: url });
    assert.deepEqual(ranges().slice(5), [`bytes=${5 * cut}-`]);
    const cached = fs.readdirSync(path.join(store, 'cache', 'virtualbox'), { recursive: true }).map(String).filter((f) => f.endsWith(file));
    assert.equal(cached.length, 1, cached.join(', '));
    assert.deepEqual(fs.readFileSync(path.join(store, 'cache', 'virtualbox', cached[0])), image);
    assert.deepEqual(fs.readFileSync(path.join(store, 'machines', name, 'disk.vdi')).subarray(512), image.subarray(512), 'the disk is the whole image');
    assert.equal((await states()).get(name)?.[3], 'Running');
    await ok(['rm', '-y', name]);
    await assertNothingLeft();
  });

  it('a host-only network address gives one clear line naming the flag before anything is made', async () => {
    const before = fake.commands.length;
    const r = await machine(['create', 'vb-badcidr', '-d', 'virtualbox', '--virtualbox-hostonly-cidr', '192.168.99.0/24']);
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stderr, /--virtualbox-hostonly-cidr/, explain(r));
    assert.match(r.stderr, /not a network address/, explain(r));
    assert.equal(fake.commands.length, before, 'no VBoxManage command ran');
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'vb-badcidr')));
  });

  it('an image with a bad checksum is refused, and nothing is left', async () => {
    const r = await machine(['create', 'vb-badsum', '-d', 'virtualbox', '--virtualbox-image-checksum', 'ab'.repeat(32)]);
    assert.notEqual(r.code, 0, explain(r));
    assert.match(r.stderr, /not the expected abab/, explain(r));
    await assertNothingLeft();
    assert.ok(!fs.existsSync(path.join(store, 'machines', 'vb-badsum')));
  });

  it('a CPU without VT-x/AMD-V is refused before anything is made; --virtualbox-no-vtx-check goes past the check', async () => {
    fake.hardwareVirtualization = false;
    try {
      const before = fake.commands.length;
      const r = await machine(['create', 'vb-novtx', '-d', 'virtualbox']);
      assert.notEqual(r.code, 0, explain(r));
      assert.match(r.stderr, /no hardware virtualization \(VT-x\/AMD-V\)/, explain(r));
      assert.match(r.stderr, /--virtualbox-no-vtx-check/, explain(r));
      const ran = fake.commands.slice(before).map((c) => c[0]);
      assert.ok(ran.includes('list'), ran.join(' '));
      assert.ok(!ran.some((c) => ['createvm', 'clonemedium', 'convertfromraw', 'hostonlyif'].includes(c)), `nothing was made: ${ran.join(' ')}`);
      assert.ok(!fs.existsSync(path.join(store, 'machines', 'vb-novtx')));

      // Past the check, the create goes on: here to the image, whose checksum is wrong.
      const skipped = fake.commands.length;
      const r2 = await machine(['create', 'vb-novtx', '-d', 'virtualbox', '--virtualbox-no-vtx-check', '--virtualbox-image-checksum', 'ab'.repeat(32)]);
      assert.notEqual(r2.code, 0, explain(r2));
      assert.match(r2.stderr, /not the expected abab/, explain(r2));
      assert.ok(!fake.commands.slice(skipped).some((c) => c[0] === 'list' && c[1] === 'hostinfo'), 'the check was skipped');
    } finally {
      fake.hardwareVirtualization = true;
    }
    await assertNothingLeft();
  });

  it('VirtualBox 7 without host-only adapters (as on macOS) puts the VM on a host-only network, reused and kept', async () => {
    const hosts7 = new TestHostProvider();
    const vbox7 = await startFakeVirtualBox(path.join(tmp, 'vbox7'), { hosts: hosts7 });
    vbox7.hostOnlyAdapters = false;
    const env7 = (extra: NodeJS.ProcessEnv = {}) => cliEnv(store, vboxEnv(vbox7, { VIRTUALBOX_IMAGE_URL: imageUrl, ...extra }));
    try {
      const r = await run(process.execPath, [CLI, 'create', 'vb-hostnet', '-d', 'virtualbox'], { env: env7() });
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout + r.stderr, /Creating the host-only network machine-[\d.]+-24/);
      assert.equal(vbox7.hostOnlyIfs.length, 0, 'no host-only interface');
      assert.equal(vbox7.hostOnlyNets.length, 1);
      const [hostNet] = vbox7.hostOnlyNets;
      assert.equal(hostNet.name, `machine-${HOSTONLY_BASE}.0-24`);
      assert.deepEqual([hostNet.netmask, hostNet.lowerIp, hostNet.upperIp, hostNet.enabled], ['255.255.255.0', `${HOSTONLY_BASE}.101`, `${HOSTONLY_BASE}.254`, true]);
      const nic = vbox7.vm('vb-hostnet')!.nics['2'];
      assert.deepEqual([nic.type, nic.hostonlynetwork], ['hostonlynet', hostNet.name]);
      const ls = await run(process.execPath, [CLI, 'ls', '--format', '{{.Name}} {{.State}} {{.URL}}'], { env: env7() });
      assert.match(ls.stdout, new RegExp(`^vb-hostnet Running tcp://${vbox7.hostOf('vb-hostnet')!.ip.replace(/\./g, '\\.')}:2376$`, 'm'), explain(ls));
      // Stopped and started again, the VM goes back on the same network; rm keeps the network for other machines.
      for (const args of [['stop', 'vb-hostnet'], ['start', 'vb-hostnet'], ['rm', '-y', 'vb-hostnet']]) {
        const step = await run(process.execPath, [CLI, ...args], { env: env7() });
        assert.equal(step.code, 0, `${args.join(' ')}: ${explain(step)}`);
      }
      assert.deepEqual(vbox7.hostOnlyNets.map((n) => n.name), [hostNet.name]);
      assert.equal(vbox7.commands.filter((c) => c[0] === 'hostonlynet' && c[1] === 'add').length, 1, 'made once, then reused');
      assert.equal(vbox7.vms.length, 0);
    } finally {
      await vbox7.close();
      await hosts7.removeAll();
    }
  });

  it('SIGTERM or SIGKILL during rm leaves the machine gone, or on record for rm -f', async () => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const name = `vb-rm-${signal.toLowerCase()}`;
      await ok(['create', name, '-d', 'virtualbox']);
      // VirtualBox answers "not ready" for a while: rm is still deleting when the signal comes.
      fake.faults.inject(notReady(), { operation: 'unregistervm', times: 40 });
      try {
        const child = spawn(process.execPath, [CLI, 'rm', '-y', name], { env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        await until(() => fake.faults.injected.filter((f) => f.operation === 'unregistervm').length > 0, `rm reaches unregistervm:\n${output}`);
        process.kill(-child.pid!, signal);
        await exited;
      } finally {
        fake.faults.clear();
      }
      if (fs.existsSync(path.join(store, 'machines', name))) {
        assert.ok(fs.existsSync(path.join(store, 'machines', name, 'config.json')), 'a whole record, not half of one');
        await ok(['rm', '-f', '-y', name]);
      }
      await assertNothingLeft();
      assert.ok(!fs.existsSync(path.join(store, 'machines', name)));
      fake.faults.injected.length = 0;
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const) {
    it(`${signal} while waiting for the VM leaves nothing, or a machine that rm -f removes`, async () => {
      const name = `vb-${signal.toLowerCase()}`;
      fake.noIp = true;
      try {
        const child = spawn(process.execPath, [CLI, 'create', '-d', 'virtualbox', name], {
          env: env({ MACHINE_VIRTUALBOX_IP_TIMEOUT_S: '120' }),
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        await until(() => /to get an IP address/.test(output), `create waits for the address:\n${output}`, 180_000);
        // Ctrl-C and a closed terminal reach the whole process group; SIGTERM and SIGKILL only the CLI, as from another terminal.
        if (signal === 'SIGINT' || signal === 'SIGHUP') process.kill(-child.pid!, signal);
        else process.kill(child.pid!, signal);
        const code = await exited;
        assert.notEqual(code, 0, output);
        fake.noIp = false;
        if (fs.existsSync(path.join(store, 'machines', name))) {
          const rm = await machine(['rm', '-f', '-y', name]);
          assert.equal(rm.code, 0, explain(rm));
        }
        await assertNothingLeft();
        assert.ok(!fs.existsSync(path.join(store, 'machines', name)), output);
      } finally {
        fake.noIp = false;
      }
    });
  }

  it('Ctrl-C while waiting for the VM rolls back by itself', async () => {
    fake.noIp = true;
    try {
      const child = spawn(process.execPath, [CLI, 'create', '-d', 'virtualbox', 'vb-interrupted'], {
        env: env({ MACHINE_VIRTUALBOX_IP_TIMEOUT_S: '120' }),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await until(() => /to get an IP address/.test(output), `create waits for the address:\n${output}`, 180_000);
      process.kill(-child.pid!, 'SIGINT');
      const code = await exited;
      assert.notEqual(code, 0, output);
      await assertNothingLeft();
      assert.ok(!fs.existsSync(path.join(store, 'machines', 'vb-interrupted')), output);
    } finally {
      fake.noIp = false;
    }
  });
});
