import { strict as assert } from 'node:assert';
import { buildIso, buildSeedIso, isoLevel1Name, userData } from './seed-iso';

const SECTOR = 2048;

/** The root directory's files of one volume descriptor, read the way the specification lays them out. */
function rootFiles(iso: Buffer, descriptorSector: number, joliet: boolean): Map<string, string> {
  const d = iso.subarray(descriptorSector * SECTOR, (descriptorSector + 1) * SECTOR);
  const root = d.subarray(156, 190);
  const extent = root.readUInt32LE(2);
  assert.equal(root.readUInt32BE(6), extent, 'both-endian extent');
  const dir = iso.subarray(extent * SECTOR, extent * SECTOR + root.readUInt32LE(10));
  const out = new Map<string, string>();
  for (let at = 0; at < dir.length && dir[at] > 0; at += dir[at]) {
    const rec = dir.subarray(at, at + dir[at]);
    const id = rec.subarray(33, 33 + rec[32]);
    if (rec[32] === 1 && id[0] <= 1) continue;
    let name = '';
    if (joliet) for (let i = 0; i < id.length; i += 2) name += String.fromCharCode(id.readUInt16BE(i));
    else name = id.toString('latin1');
    out.set(name, iso.subarray(rec.readUInt32LE(2) * SECTOR, rec.readUInt32LE(2) * SECTOR + rec.readUInt32LE(10)).toString('utf8'));
  }
  return out;
}

describe('cloud-init seed ISO', () => {
  const key = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 machine-vb1';
  const iso = buildSeedIso({ hostname: 'vb1', instanceId: 'i-1', user: 'docker', publicKey: key }, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));

  it('is an ISO 9660 image labelled cidata with a Joliet volume', () => {
    assert.equal(iso.length % SECTOR, 0);
    assert.equal(iso.subarray(16 * SECTOR, 16 * SECTOR + 6).toString('latin1'), '\x01CD001');
    assert.equal(iso.subarray(16 * SECTOR + 40, 16 * SECTOR + 72).toString('latin1').trim(), 'cidata');
    assert.equal(iso.readUInt32LE(16 * SECTOR + 80), iso.length / SECTOR, 'volume space size');
    assert.equal(iso.subarray(17 * SECTOR, 17 * SECTOR + 6).toString('latin1'), '\x02CD001');
    assert.equal(iso.subarray(17 * SECTOR + 88, 17 * SECTOR + 91).toString('latin1'), '%/E');
    assert.equal(iso[18 * SECTOR], 255, 'terminator');
    assert.equal(iso.subarray(16 * SECTOR + 813, 16 * SECTOR + 827).toString('latin1'), '20260102030405');
  });

  it('carries user-data with the key, meta-data and network-config under their real names', () => {
    const files = rootFiles(iso, 17, true);
    assert.deepEqual([...files.keys()], ['meta-data', 'network-config', 'user-data']);
    const ud = files.get('user-data')!;
    assert.ok(ud.startsWith('#cloud-config\n'));
    assert.ok(ud.includes(`      - ${key}\n`));
    assert.match(ud, /- name: docker\n/);
    assert.match(ud, /sudo: "ALL=\(ALL\) NOPASSWD:ALL"/);
    assert.equal(files.get('meta-data'), 'instance-id: i-1\nlocal-hostname: vb1\n');
    assert.match(files.get('network-config')!, /dhcp4: true/);
  });

  it('has 8.3 names on the primary volume pointing at the same data', () => {
    const primary = rootFiles(iso, 16, false);
    assert.deepEqual([...primary.keys()], ['META_DAT.;1', 'NETWORK_.;1', 'USER_DAT.;1']);
    assert.equal(primary.get('USER_DAT.;1'), rootFiles(iso, 17, true).get('user-data'));
    const taken = new Set<string>();
    assert.equal(isoLevel1Name('user-data', taken), 'USER_DAT.;1');
    assert.equal(isoLevel1Name('user-data2', taken), 'USER_DA1.;1');
    assert.equal(isoLevel1Name('a.tar.gz', taken), 'A_TAR.GZ;1');
  });

  it('spans files over several sectors', () => {
    const big = 'x'.repeat(5000);
    const image = buildIso('cidata', [{ name: 'user-data', content: Buffer.from(big) }, { name: 'meta-data', content: Buffer.from('m') }]);
    assert.equal(rootFiles(image, 17, true).get('user-data'), big);
    assert.equal(rootFiles(image, 17, true).get('meta-data'), 'm');
    assert.match(userData({ hostname: 'h', instanceId: 'i', user: 'u', publicKey: ' k \n' }), /- k\n/);
  });
});
