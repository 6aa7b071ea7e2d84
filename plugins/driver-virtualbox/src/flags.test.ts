import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { FLAGS, cpuCount, normalizeChecksum, stateFromFlags, usesBoot2Docker } from './flags';

const machine = { name: 'vb1', storePath: '/store', machineDir: '/store/machines/vb1' };

function flagError(fn: () => unknown): DriverError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DriverError, String(err));
    return err;
  }
  assert.fail('expected a DriverError');
}

describe('virtualbox flags', () => {
  it("makes a state whose keys come in the reference driver's order: BaseDriver's first, then its own", () => {
    const keys = Object.keys(stateFromFlags({}, machine));
    assert.deepEqual(keys.slice(0, 12), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery', 'CPU', 'Memory', 'DiskSize']);
  });

  it('has every reference flag with its default and environment variable', () => {
    const byName = new Map(FLAGS.map((f) => [f.name, f]));
    const expected: [string, unknown, string][] = [
      ['memory', 1024, 'VIRTUALBOX_MEMORY_SIZE'],
      ['cpu-count', 1, 'VIRTUALBOX_CPU_COUNT'],
      ['disk-size', 20000, 'VIRTUALBOX_DISK_SIZE'],
      ['boot2docker-url', undefined, 'VIRTUALBOX_BOOT2DOCKER_URL'],
      ['import-boot2docker-vm', undefined, 'VIRTUALBOX_BOOT2DOCKER_IMPORT_VM'],
      ['host-dns-resolver', false, 'VIRTUALBOX_HOST_DNS_RESOLVER'],
      ['nat-nictype', '82540EM', 'VIRTUALBOX_NAT_NICTYPE'],
      ['hostonly-cidr', '192.168.99.1/24', 'VIRTUALBOX_HOSTONLY_CIDR'],
      ['hostonly-nictype', '82540EM', 'VIRTUALBOX_HOSTONLY_NIC_TYPE'],
      ['hostonly-nicpromisc', 'deny', 'VIRTUALBOX_HOSTONLY_NIC_PROMISC'],
      ['ui-type', 'headless', 'VIRTUALBOX_UI_TYPE'],
      ['hostonly-no-dhcp', false, 'VIRTUALBOX_HOSTONLY_NO_DHCP'],
      ['no-share', false, 'VIRTUALBOX_NO_SHARE'],
      ['no-dns-proxy', false, 'VIRTUALBOX_NO_DNS_PROXY'],
      ['no-vtx-check', false, 'VIRTUALBOX_NO_VTX_CHECK'],
      ['share-folder', undefined, 'VIRTUALBOX_SHARE_FOLDER'],
      ['image-url', undefined, 'VIRTUALBOX_IMAGE_URL'],
      ['image-checksum', undefined, 'VIRTUALBOX_IMAGE_CHECKSUM'],
    ];
    for (const [name, def, env] of expected) {
      const flag = byName.get(`virtualbox-${name}`);
      assert.ok(flag, name);
      assert.deepEqual(flag.default, def, name);
      assert.equal(flag.envVar, env, name);
    }
    assert.equal(FLAGS.length, expected.length);
  });

  it('gives the reference defaults and boots a cloud image unless boot2docker is asked for', () => {
    const s = stateFromFlags({}, machine);
    assert.equal(s.Memory, 1024);
    assert.equal(s.CPU, 1);
    assert.equal(s.DiskSize, 20000);
    assert.equal(s.HostOnlyCIDR, '192.168.99.1/24');
    assert.equal(s.DNSProxy, true);
    assert.equal(s.UIType, 'headless');
    assert.equal(s.SSHUser, 'docker');
    assert.equal(s.SSHKeyPath, '/store/machines/vb1/id_rsa');
    assert.equal(usesBoot2Docker(s), false);
    assert.equal(usesBoot2Docker(stateFromFlags({ 'virtualbox-boot2docker-url': 'https://example.invalid/b2d.iso' }, machine)), true);
    assert.equal(stateFromFlags({ 'virtualbox-no-dns-proxy': true }, machine).DNSProxy, false);
  });

  it('names the flag at fault for bad values', () => {
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-memory': 'lots' }, machine)).flag, 'virtualbox-memory');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-memory': 64 }, machine)).flag, 'virtualbox-memory');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-cpu-count': 0 }, machine)).flag, 'virtualbox-cpu-count');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-disk-size': 10 }, machine)).flag, 'virtualbox-disk-size');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-ui-type': 'fancy' }, machine)).flag, 'virtualbox-ui-type');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-nat-nictype': 'e1000' }, machine)).flag, 'virtualbox-nat-nictype');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-hostonly-nicpromisc': 'yes' }, machine)).flag, 'virtualbox-hostonly-nicpromisc');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-share-folder': '/only/a/dir' }, machine)).flag, 'virtualbox-share-folder');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-image-checksum': 'abc' }, machine)).flag, 'virtualbox-image-checksum');
    assert.equal(flagError(() => stateFromFlags({ 'virtualbox-image-url': 'ftp://x/y.img' }, machine)).flag, 'virtualbox-image-url');
    const both = flagError(() => stateFromFlags({ 'virtualbox-image-url': 'https://a/b.img', 'virtualbox-boot2docker-url': 'https://a/b.iso' }, machine));
    assert.equal(both.flag, 'virtualbox-boot2docker-url');
    const cidr = flagError(() => stateFromFlags({ 'virtualbox-hostonly-cidr': '192.168.99.0/24' }, machine));
    assert.equal(cidr.flag, 'virtualbox-hostonly-cidr');
    assert.match(cidr.message, /host-only cidr must be specified with a host address, not a network address/);
  });

  it('accepts case-insensitive choices, local paths and prefixed checksums', () => {
    assert.equal(stateFromFlags({ 'virtualbox-ui-type': 'GUI' }, machine).UIType, 'gui');
    assert.equal(stateFromFlags({ 'virtualbox-image-url': '/var/images/noble.vmdk' }, machine).ImageURL, '/var/images/noble.vmdk');
    assert.equal(stateFromFlags({ 'virtualbox-share-folder': 'C:\\Users\\me:me' }, machine).ShareFolder, 'C:\\Users\\me:me');
    assert.equal(normalizeChecksum(`sha256:${'AB'.repeat(32)}`), 'ab'.repeat(32));
  });

  it('caps the CPU count at 32 and reads -1 as every host CPU', () => {
    assert.equal(cpuCount(-1, 8), 8);
    assert.equal(cpuCount(-1, 64), 32);
    assert.equal(cpuCount(48, 8), 32);
    assert.equal(cpuCount(2, 8), 2);
  });
});
