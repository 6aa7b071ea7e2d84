// The virtualbox driver as the core runs it: a separate process launched
// through the driver SDK, running the stand-in VBoxManage, whose VMs are
// real test hosts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { launchDriver, isDriverCallError, type DriverCallError, type DriverClient, type FlagValues, type JsonObject, type MachineRef } from '@machine/driver-sdk';
import { startFakeVirtualBox, notReady, readIso, IP_PROPERTY, type FakeVirtualBox } from '../fakes/virtualbox';
import { DRIVER_BIN, HOSTONLY_BASE, HOSTONLY_CIDR, HOSTONLY_IP, fakeImage, startImageServer, tempDir, vboxEnv, type ImageServer } from '../fakes/virtualbox/harness';
import { TestHostProvider } from '../hosts';

async function expectError(p: Promise<unknown>): Promise<DriverCallError> {
  try {
    await p;
  } catch (err) {
    if (isDriverCallError(err)) return err;
    throw err;
  }
  assert.fail('expected the driver call to fail');
}

function sshBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(10_000, () => reject(new Error('no banner')));
    s.once('data', (d: Buffer) => {
      s.destroy();
      resolve(d.toString('latin1'));
    });
    s.once('error', reject);
  });
}

describe('virtualbox driver against the VBoxManage stand-in (real hosts)', function () {
  this.timeout(300_000);
  let dir: string;
  let store: string;
  let fake: FakeVirtualBox;
  let hosts: TestHostProvider;
  let images: ImageServer;
  let driver: DriverClient;
  const image = fakeImage();

  const machine = (name: string): MachineRef => {
    const machineDir = path.join(store, 'machines', name);
    fs.mkdirSync(machineDir, { recursive: true });
    return { name, storePath: store, machineDir };
  };
  const call = (ref: MachineRef, state: JsonObject) => ({ machine: ref, state, stateVersion: 1 });

  async function configure(d: DriverClient, name: string, flags: FlagValues = {}) {
    const ref = machine(name);
    const configured = await d.configure(ref, { 'virtualbox-image-url': `${images.url}/noble.vmdk`, 'virtualbox-hostonly-cidr': HOSTONLY_CIDR, ...flags });
    return call(ref, configured.state);
  }

  async function create(name: string, flags: FlagValues = {}): Promise<{ ref: MachineRef; state: JsonObject; progress: string[] }> {
    const c = await configure(driver, name, flags);
    await driver.preCreateCheck(c);
    const progress: string[] = [];
    const out = await driver.create(c, { onProgress: (m) => progress.push(m) });
    assert.ok(out.state);
    return { ref: c.machine, state: out.state, progress };
  }

  const assertNothingLeft = () => {
    assert.deepEqual(fake.vms.map((v) => v.name), [], 'VMs left');
    assert.deepEqual(fake.media.map((m) => m.path), [], 'media left');
    assert.equal(fake.liveHosts, 0, 'hosts left');
    assert.equal(fake.forwardCount, 0, 'port forwards left');
    const saved = JSON.parse(fs.readFileSync(fake.stateFile, 'utf8')) as { vms: unknown[]; media: unknown[] };
    assert.deepEqual([saved.vms.length, saved.media.length], [0, 0], 'the state file still lists VMs or media');
  };

  before(async () => {
    dir = tempDir('vbox-int-');
    store = path.join(dir, 'store');
    hosts = new TestHostProvider();
    fake = await startFakeVirtualBox(path.join(dir, 'vbox'), { hosts });
    images = await startImageServer({ 'noble.vmdk': image });
    driver = await launchDriver({ name: 'virtualbox', path: DRIVER_BIN, env: vboxEnv(fake) });
  });
  after(async () => {
    await driver?.close();
    await fake?.close();
    await images?.close();
    await hosts?.removeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('one machine through its life', () => {
    const name = 'vb-life';
    let ref: MachineRef;
    let state: JsonObject;

    it('creates the VM the reference way and boots it with the seed ISO carrying its key', async () => {
      const created = await create(name);
      ref = created.ref;
      state = created.state;
      const vm = fake.vm(name)!;
      assert.equal(vm.state, 'running');
      assert.equal(vm.settings.ostype, 'Ubuntu_64');
      assert.equal(vm.settings.memory, '1024');
      assert.equal(vm.nics['1'].type, 'nat');
      assert.equal(vm.nics['2'].type, 'hostonly');
      assert.equal(vm.nics['2'].hostonlyadapter, 'vboxnet0');
      assert.deepEqual(fake.hostOnlyIfs.map((i) => [i.name, i.ip, i.netmask]), [['vboxnet0', HOSTONLY_IP, '255.255.255.0']]);
      assert.deepEqual(fake.dhcpServers.map((d) => [d.networkName, d.ip, d.lowerIp, d.upperIp, d.enabled]), [['HostInterfaceNetworking-vboxnet0', `${HOSTONLY_BASE}.100`, `${HOSTONLY_BASE}.101`, `${HOSTONLY_BASE}.254`, true]]);
      assert.deepEqual(vm.sharedFolders.map((s) => [s.name, s.hostPath]), [['hosthome', '/home']]);
      const ssh = vm.forwards.find((f) => f.name === 'ssh')!;
      assert.equal(ssh.hostIp, '127.0.0.1');
      assert.equal(ssh.guestPort, 22);
      assert.equal(state.SSHPort, ssh.hostPort);
      // The disk came from the cloud image, as a resizable VDI of the requested size.
      assert.deepEqual(fake.media.map((m) => [path.basename(m.path), m.format, m.sizeMB]), [['disk.vdi', 'VDI', 20000]]);
      // The seed carries the machine's own public key for the docker user.
      const seed = readIso(fs.readFileSync(vm.attachments['SATA-0-0'].medium))!;
      assert.equal(seed.label, 'cidata');
      assert.deepEqual([...seed.files.keys()].sort(), ['meta-data', 'network-config', 'user-data']);
      const pub = fs.readFileSync(path.join(ref.machineDir, 'id_rsa.pub'), 'utf8').trim();
      assert.ok(seed.files.get('user-data')!.toString().includes(pub));
      assert.match(seed.files.get('user-data')!.toString(), /name: docker/);
      const order = fake.commands.map((c) => c[0]);
      for (const cmd of ['clonemedium', 'modifymedium', 'createvm', 'modifyvm', 'storagectl', 'storageattach', 'sharedfolder', 'hostonlyif', 'dhcpserver', 'startvm']) assert.ok(order.includes(cmd), cmd);
      assert.ok(order.indexOf('createvm') < order.indexOf('startvm'));
    });

    it('reports the host-only address, the URL and SSH through the NAT forward', async () => {
      const host = fake.hostOf(name)!;
      assert.equal(await driver.getIP(call(ref, state)), host.ip);
      const d = await driver.describe(call(ref, state));
      assert.deepEqual([d.state, d.ip, d.url], ['Running', host.ip, `tcp://${host.ip}:2376`]);
      const info = await driver.getSSHInfo(call(ref, state));
      assert.deepEqual([info.host, info.port, info.user], ['127.0.0.1', state.SSHPort, 'docker']);
      assert.match(await sshBanner(info.port), /^SSH-2\.0-/);
    });

    it('reads the address from the DHCP lease when no guest additions report it', async () => {
      const host = fake.hostOf(name)!;
      delete fake.vm(name)!.guestProperties[IP_PROPERTY];
      assert.equal(await driver.getIP(call(ref, state)), host.ip);
    });

    it('asks the guest over SSH when neither a guest property nor a lease has the address', async () => {
      const host = fake.hostOf(name)!;
      delete fake.vm(name)!.guestProperties[IP_PROPERTY];
      for (const f of fs.readdirSync(fake.userHome)) if (f.endsWith('.leases')) fs.rmSync(path.join(fake.userHome, f));
      assert.equal(await driver.getIP(call(ref, { ...state, IPAddress: '' })), host.ip);
    });

    it('retries "The object is not ready"', async () => {
      fake.faults.inject(notReady(), { operation: 'showvminfo', times: 3 });
      assert.equal(await driver.getState(call(ref, state)), 'Running');
      assert.equal(fake.faults.injected.length, 3);
    });

    it('stops with the ACPI button, starts, kills and restarts', async () => {
      const stopped = await driver.stop(call(ref, state));
      state = stopped.state ?? state;
      assert.equal(await driver.getState(call(ref, state)), 'Stopped');
      assert.ok(fake.commands.some((c) => c[0] === 'controlvm' && c[2] === 'acpipowerbutton'));
      assert.equal(fake.forwardCount, 0);
      state = (await driver.start(call(ref, state))).state ?? state;
      assert.equal(await driver.getState(call(ref, state)), 'Running');
      assert.match(await sshBanner(Number(state.SSHPort)), /^SSH-/);
      state = (await driver.kill(call(ref, state))).state ?? state;
      assert.equal(fake.vm(name)!.state, 'poweroff');
      state = (await driver.restart(call(ref, state))).state ?? state;
      assert.equal(await driver.getState(call(ref, state)), 'Running');
    });

    it('powers the VM off when the guest ignores the ACPI button', async () => {
      fake.ignoreAcpi = true;
      try {
        const out = await driver.stop(call(ref, state));
        state = out.state ?? state;
        assert.ok(out.warnings.some((w) => /did not shut down/.test(w.summary)), JSON.stringify(out.warnings));
        assert.equal(fake.vm(name)!.state, 'poweroff');
      } finally {
        fake.ignoreAcpi = false;
      }
    });

    it('makes a new host-only interface when the old one is gone', async () => {
      fake.removeHostOnlyIf('vboxnet0');
      state = (await driver.start(call(ref, state))).state ?? state;
      assert.equal(await driver.getState(call(ref, state)), 'Running');
      assert.deepEqual(fake.hostOnlyIfs.map((i) => i.ip), [HOSTONLY_IP]);
    });

    it('removes a disk that a create killed before attaching it left registered, with or without its VM', async () => {
      // What VirtualBox holds after a SIGKILL between making the disk and
      // attaching it; the stored state never learnt of either.
      for (const withVM of [false, true]) {
        const configured = await configure(driver, `vb-stray-${withVM ? 'vm' : 'disk'}`);
        const stray = configured.machine;
        const raw = path.join(stray.machineDir, 'disk.raw');
        fs.writeFileSync(raw, Buffer.alloc(1024 * 1024));
        const vbm = (...args: string[]) =>
          new Promise<void>((resolve, reject) =>
            execFile('VBoxManage', args, { env: vboxEnv(fake) }, (err, _out, stderr) => (err ? reject(new Error(`${args.join(' ')}: ${stderr}`)) : resolve())),
          );
        await vbm('convertfromraw', raw, path.join(stray.machineDir, 'disk.vdi'), '--format', 'VDI');
        if (withVM) await vbm('createvm', '--basefolder', stray.machineDir, '--name', stray.name, '--register');
        await driver.remove(configured);
        assert.deepEqual(fake.media.map((m) => m.path).filter((p) => p.startsWith(stray.machineDir)), [], `disk left (${withVM ? 'with' : 'without'} a VM)`);
        assert.deepEqual(fake.vms.map((v) => v.name).filter((n) => n === stray.name), [], 'VM left');
      }
    });

    it('removes the VM, its disk and its host, and tolerates a second remove', async () => {
      await driver.remove(call(ref, state));
      assertNothingLeft();
      await driver.remove(call(ref, state));
      assert.equal(await driver.getState(call(ref, state)), 'Not Found');
    });
  });

  it('keeps --virtualbox-boot2docker-url working: the key travels in the disk\'s user-data tar', async () => {
    const iso = path.join(dir, 'boot2docker.iso');
    fs.writeFileSync(iso, Buffer.alloc(64 * 1024));
    const { ref, state } = await create('vb-b2d', { 'virtualbox-image-url': '', 'virtualbox-boot2docker-url': `file://${iso}`, 'virtualbox-no-share': true });
    const vm = fake.vm('vb-b2d')!;
    assert.equal(vm.settings.ostype, 'Linux26_64');
    assert.equal(vm.settings.boot1, 'dvd');
    assert.equal(vm.attachments['SATA-0-0'].medium, path.join(ref.machineDir, 'boot2docker.iso'));
    assert.equal(path.basename(vm.attachments['SATA-1-0'].medium), 'disk.vmdk');
    assert.deepEqual(vm.sharedFolders, []);
    assert.ok(fake.commands.some((c) => c[0] === 'convertfromraw' && c[1] === 'stdin' && c[3] === String(20000 * 1024 * 1024)));
    // The machine's key logs in as docker through the NAT forward.
    const login = await new Promise<string>((resolve, reject) =>
      execFile(
        'ssh',
        ['-i', path.join(ref.machineDir, 'id_rsa'), '-p', String(state.SSHPort), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', 'docker@127.0.0.1', 'id -un'],
        { timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())),
      ),
    );
    assert.equal(login, 'docker');
    // As after a create killed before it returned its state: rm finds the VM by its folder.
    await driver.remove(call(ref, {}));
    assertNothingLeft();
  });

  describe('failures', () => {
    it('rolls back a VM that never gets an IP address', async () => {
      fake.noIp = true;
      try {
        const err = await expectError(create('vb-noip'));
        assert.equal(err.code, 'deadline-exceeded');
        assert.match(err.summary, /vb-noip got no IP address on its host-only network \(vboxnet0\)/);
      } finally {
        fake.noIp = false;
      }
      assertNothingLeft();
    });

    it('refuses host-only CIDRs that are network addresses or collide with a host interface, naming the flag', async () => {
      const network = await expectError(configure(driver, 'vb-cidr', { 'virtualbox-hostonly-cidr': '192.168.99.0/24' }));
      assert.equal(network.flag, 'virtualbox-hostonly-cidr');
      assert.match(network.summary, /host-only cidr must be specified with a host address, not a network address/);
      const c = await configure(driver, 'vb-cidr', { 'virtualbox-hostonly-cidr': '127.0.0.5/8' });
      const collision = await expectError(driver.preCreateCheck(c));
      assert.equal(collision.flag, 'virtualbox-hostonly-cidr');
      assert.match(collision.summary, /collides with the host's interface lo \(127\.0\.0\.1\/8\)/);
      assertNothingLeft();
    });

    it('refuses a VBoxManage older than 5 and explains a missing one', async () => {
      fake.version = '4.3.40r110317';
      const old = await launchDriver({ name: 'virtualbox', path: DRIVER_BIN, env: vboxEnv(fake) });
      try {
        const err = await expectError(old.preCreateCheck(await configure(old, 'vb-old')));
        assert.match(err.summary, /VirtualBox 4\.3\.40r110317 is too old: this driver needs VirtualBox 5 or later/);
      } finally {
        fake.version = '7.0.14r161095';
        await old.close();
      }
      const none = await launchDriver({ name: 'virtualbox', path: DRIVER_BIN, env: vboxEnv(undefined) });
      try {
        const err = await expectError(none.preCreateCheck(await configure(none, 'vb-none')));
        assert.equal(err.code, 'failed-precondition');
        assert.match(err.summary, /VBoxManage not found: install VirtualBox/);
      } finally {
        await none.close();
      }
    });

    it('finds VBoxManage through VBOX_INSTALL_PATH and warns on an untested version', async () => {
      fake.version = '5.2.44r139111';
      const env = vboxEnv(undefined, { VBOX_INSTALL_PATH: fake.binDir, VBOX_USER_HOME: fake.userHome });
      const d = await launchDriver({ name: 'virtualbox', path: DRIVER_BIN, env });
      try {
        const out = await d.preCreateCheck(await configure(d, 'vb-install-path'));
        assert.ok(out.warnings.some((w) => /VirtualBox 5\.2\.44r139111 has not been tested/.test(w.summary)), JSON.stringify(out.warnings));
      } finally {
        fake.version = '7.0.14r161095';
        await d.close();
      }
      assert.ok(fake.commands.some((c) => c[0] === '--version'));
    });
  });
});
