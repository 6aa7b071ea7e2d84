import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError, type DriverLogger } from '@machine/driver-sdk';
import { holderPath, lockFile } from '@machine/driver-sdk/lock';
import {
  HostLock,
  VBoxManage,
  VBoxManageError,
  checkVersion,
  findVBoxManage,
  hardwareVirtualization,
  hardwareVirtualizationMissing,
  leaseFor,
  noHostOnlyAdapters,
  parseCreatedInterface,
  parseDhcpServers,
  parseGuestProperty,
  parseHostOnlyIfs,
  parseHostOnlyNets,
  parseMachineReadable,
  parseVersion,
  parseVmList,
  vboxManageCandidates,
} from './vboxmanage';

const quiet: DriverLogger = { debug() {}, info() {}, warn() {}, error() {} };

describe('VBoxManage discovery and version', () => {
  it('looks on PATH first, then in the installer variables, then in the standard folders', () => {
    const linux = vboxManageCandidates({ platform: 'linux', env: { PATH: '/a:/b', VBOX_INSTALL_PATH: '/opt/vb' } });
    assert.deepEqual(linux.slice(0, 5), ['/a/VBoxManage', '/a/vboxmanage', '/b/VBoxManage', '/b/vboxmanage', '/opt/vb/VBoxManage']);
    assert.ok(linux.includes('/usr/lib/virtualbox/VBoxManage'));
    const win = vboxManageCandidates({ platform: 'win32', env: { Path: 'C:\\bin', VBOX_MSI_INSTALL_PATH: 'D:\\VirtualBox\\' } });
    assert.deepEqual(win.slice(0, 2), ['C:\\bin\\VBoxManage.exe', 'D:\\VirtualBox\\VBoxManage.exe']);
    assert.ok(win.includes('C:\\Program Files\\Oracle\\VirtualBox\\VBoxManage.exe'));
    const mac = vboxManageCandidates({ platform: 'darwin', env: { PATH: '' } });
    assert.equal(mac[0], '/Applications/VirtualBox.app/Contents/MacOS/VBoxManage');
  });

  it('finds the first candidate that exists, and says how to fix a missing one', () => {
    const found = findVBoxManage({ platform: 'linux', env: { PATH: '/a:/b', VBOX_INSTALL_PATH: '/opt/vb' }, isFile: (p) => p === '/opt/vb/VBoxManage' || p === '/usr/bin/VBoxManage' });
    assert.equal(found, '/opt/vb/VBoxManage');
    try {
      findVBoxManage({ platform: 'linux', env: { PATH: '/a' }, isFile: () => false });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof DriverError);
      assert.equal(err.code, 'failed-precondition');
      assert.match(err.message, /VBoxManage not found: install VirtualBox/);
      assert.match(err.message, /VBOX_INSTALL_PATH/);
    }
  });

  it('parses version strings of every packaging', () => {
    assert.deepEqual(parseVersion('7.0.14r161095\n'), { major: 7, minor: 0, patch: 14, raw: '7.0.14r161095' });
    assert.equal(parseVersion('6.1.50_Ubuntur161033')?.minor, 1);
    assert.equal(parseVersion('WARNING: The vboxdrv kernel module is not loaded.\n5.2.44r139111')?.major, 5);
    assert.equal(parseVersion('garbage'), undefined);
  });

  it('refuses VirtualBox before 5 and warns on versions not tested', () => {
    assert.throws(() => checkVersion(parseVersion('4.3.40r110317')!), /VirtualBox 4\.3\.40r110317 is too old: this driver needs VirtualBox 5 or later/);
    assert.equal(checkVersion(parseVersion('7.0.14r161095')!), undefined);
    assert.equal(checkVersion(parseVersion('6.1.50r161033')!), undefined);
    assert.match(checkVersion(parseVersion('5.2.44r139111')!) ?? '', /has not been tested/);
    assert.match(checkVersion(parseVersion('8.0.0r170000')!) ?? '', /has not been tested/);
  });
});

describe('VirtualBox 7 host-only networks and the CPU check', () => {
  it('reads list hostonlynets', () => {
    const text = 'Name:            HostNetwork\nGUID:            4d5c6b2a-0000-4000-8000-000000000001\nState:           Enabled\nNetworkMask:     255.255.255.0\nLowerIP:         192.168.56.100\nUpperIP:         192.168.56.199\nVBoxNetworkName: hostonly-HostNetwork\n\nName:            Off\nState:           Disabled\nNetworkMask:     255.255.0.0\nLowerIP:         10.9.0.2\nUpperIP:         10.9.0.9\n\n';
    assert.deepEqual(parseHostOnlyNets(text), [
      { name: 'HostNetwork', netmask: '255.255.255.0', lowerIp: '192.168.56.100', upperIp: '192.168.56.199', enabled: true, networkName: 'hostonly-HostNetwork' },
      { name: 'Off', netmask: '255.255.0.0', lowerIp: '10.9.0.2', upperIp: '10.9.0.9', enabled: false, networkName: 'hostonly-Off' },
    ]);
  });

  it('reads hardware virtualization from list hostinfo, and knows when it is not said', () => {
    assert.equal(hardwareVirtualization('Host Information:\n\nProcessor supports HW virtualization: yes\nProcessor supports PAE: yes\n'), true);
    assert.equal(hardwareVirtualization('Processor supports HW virtualization: no\n'), false);
    assert.equal(hardwareVirtualization('Host Information:\nProcessor count: 2\n'), undefined);
  });

  it('recognises a host without host-only adapters and a VM start without VT-x', () => {
    assert.ok(noHostOnlyAdapters('VBoxManage: error: VBoxNetAdpCtl: Error while adding new interface: failed to open /dev/vboxnetctl: No such file or directory\n'));
    assert.ok(!noHostOnlyAdapters('VBoxManage: error: Code E_ACCESSDENIED (0x80070005)\n'));
    assert.ok(hardwareVirtualizationMissing('VBoxManage: error: VT-x is not available (VERR_VMX_NO_VMX)\n'));
    assert.ok(hardwareVirtualizationMissing('AMD-V is disabled in the BIOS (or by the host OS) (VERR_SVM_DISABLED)'));
    assert.ok(!hardwareVirtualizationMissing('VBoxManage: error: Could not find a registered machine named \'x\''));
  });
});

describe('VBoxManage output parsing', () => {
  it('reads showvminfo --machinereadable', () => {
    const info = parseMachineReadable('name="vb1"\nVMState="running"\nmemory=1024\n"SATA-1-0"="/m/disk.vdi"\nForwarding(0)="ssh,tcp,127.0.0.1,40022,,22"\nmacaddress2="080027A1B2C3"\n');
    assert.equal(info.get('VMState'), 'running');
    assert.equal(info.get('memory'), '1024');
    assert.equal(info.get('SATA-1-0'), '/m/disk.vdi');
    assert.equal(info.get('Forwarding(0)'), 'ssh,tcp,127.0.0.1,40022,,22');
  });

  it('reads list hostonlyifs, list dhcpservers (old and new layouts) and list vms', () => {
    const ifs = parseHostOnlyIfs(
      'Name:            vboxnet0\nGUID:            786f6276-656e-4074-8000-0a0027000000\nDHCP:            Disabled\nIPAddress:       192.168.99.1\nNetworkMask:     255.255.255.0\nIPV6Address:     \nIPV6NetworkMaskPrefixLength: 0\nHardwareAddress: 0a:00:27:00:00:00\nMediumType:      Ethernet\nWireless:        No\nStatus:          Up\nVBoxNetworkName: HostInterfaceNetworking-vboxnet0\n\n',
    );
    assert.deepEqual(ifs, [{ name: 'vboxnet0', ipAddress: '192.168.99.1', networkMask: '255.255.255.0', dhcp: false, status: 'Up', networkName: 'HostInterfaceNetworking-vboxnet0' }]);
    const newer = parseDhcpServers('NetworkName:    HostInterfaceNetworking-vboxnet0\nDhcpd IP:       192.168.99.100\nLowerIPAddress: 192.168.99.101\nUpperIPAddress: 192.168.99.254\nNetworkMask:    255.255.255.0\nEnabled:        Yes\nGlobal Configuration:\n    minLeaseTime:     default\n\n');
    assert.deepEqual(newer, [{ networkName: 'HostInterfaceNetworking-vboxnet0', ip: '192.168.99.100', netmask: '255.255.255.0', lowerIp: '192.168.99.101', upperIp: '192.168.99.254', enabled: true }]);
    const older = parseDhcpServers('NetworkName:    HostInterfaceNetworking-vboxnet1\nIP:             192.168.56.100\nNetworkMask:    255.255.255.0\nlowerIPAddress: 192.168.56.101\nupperIPAddress: 192.168.56.254\nEnabled:        No\n');
    assert.equal(older[0].ip, '192.168.56.100');
    assert.equal(older[0].enabled, false);
    assert.deepEqual(parseVmList('"vb 1" {0c5e9c53-8e0a-4b43-9a4e-6a3f0fbd5a11}\n'), [{ name: 'vb 1', uuid: '0c5e9c53-8e0a-4b43-9a4e-6a3f0fbd5a11' }]);
  });

  it('reads guest properties, created interfaces and DHCP leases', () => {
    assert.equal(parseGuestProperty('Value: 192.168.99.101\n'), '192.168.99.101');
    assert.equal(parseGuestProperty('No value set!\n'), undefined);
    assert.equal(parseCreatedInterface("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\nInterface 'vboxnet3' was successfully created\n"), 'vboxnet3');
    const leases = '<?xml version="1.0"?>\n<Leases version="1.0">\n  <Lease mac="08:00:27:a1:b2:c3" id="01080027a1b2c3" network="0.0.0.0" state="acked">\n    <Address value="192.168.99.101"/>\n    <Time issued="1700000000" expiration="600"/>\n  </Lease>\n  <Lease mac="08:00:27:00:00:01" state="released">\n    <Address value="192.168.99.102"/>\n  </Lease>\n</Leases>\n';
    assert.equal(leaseFor(leases, '080027A1B2C3'), '192.168.99.101');
    assert.equal(leaseFor(leases, '080027000001'), undefined);
  });
});

describe('running VBoxManage', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbm-unit-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A VBoxManage that fails with "object is not ready" the first `failures` times. */
  function flaky(failures: number, stderrOnSuccess = ''): string {
    const exe = path.join(dir, 'VBoxManage');
    const counter = path.join(dir, 'count');
    fs.writeFileSync(
      exe,
      `#!${process.execPath}\nconst fs=require('fs');let n=0;try{n=Number(fs.readFileSync(${JSON.stringify(counter)},'utf8'))}catch{}\nfs.writeFileSync(${JSON.stringify(counter)},String(n+1));\nif(n<${failures}){process.stderr.write("VBoxManage: error: The object is not ready\\n");process.exit(1)}\nprocess.stdout.write("ok "+process.argv.slice(2).join(" "));process.stderr.write(${JSON.stringify(stderrOnSuccess)});\n`,
      { mode: 0o755 },
    );
    return exe;
  }

  it('retries "The object is not ready" and then succeeds', async () => {
    const vbm = new VBoxManage(flaky(3), quiet, new HostLock(path.join(dir, 'lock')), 1);
    assert.equal(await vbm.out(['list', 'vms']), 'ok list vms');
    assert.equal(fs.readFileSync(path.join(dir, 'count'), 'utf8'), '4');
  });

  it('treats "error:" on stderr as a failure even with exit code 0', async () => {
    const vbm = new VBoxManage(flaky(0, 'VBoxManage: error: Could not find a registered machine named \'x\'\n'), quiet, new HostLock(path.join(dir, 'lock')), 1);
    await assert.rejects(vbm.out(['showvminfo', 'x']), (err: unknown) => err instanceof VBoxManageError && err.notFound);
  });

  it('runs one command at a time across lock holders, and takes over a lock whose owner is gone', async () => {
    const lock = path.join(dir, 'lock');
    // Left by a driver that was killed while it held the lock.
    fs.mkdirSync(lock);
    fs.writeFileSync(holderPath(lock), JSON.stringify({ pid: 999999999, host: os.hostname(), command: 'vboxmanage', since: new Date().toISOString() }));
    const a = new HostLock(lock, 5000);
    const b = new HostLock(lock, 5000);
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    };
    await Promise.all([a.run(work), b.run(work), a.run(work), b.run(work)]);
    assert.equal(most, 1);
    assert.equal(fs.existsSync(lock), false);
    assert.equal(fs.existsSync(holderPath(lock)), false);
  });

  it('a lock held by a live process past the wait is one clear error; a cancelled wait is a cancellation', async () => {
    const lock = path.join(dir, 'lock');
    const release = await lockFile(lock, { waitMs: 0, command: 'create' });
    try {
      await assert.rejects(new HostLock(lock, 100).run(async () => 'ran'), (err: unknown) => err instanceof DriverError && err.code === 'unavailable' && /another VirtualBox command/.test(err.message));
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(new HostLock(lock, 60_000).run(async () => 'ran', ac.signal), (err: unknown) => err instanceof DriverError && err.code === 'cancelled');
    } finally {
      release();
    }
    assert.equal(await new HostLock(lock, 100).run(async () => 'ran'), 'ran');
  });
});
