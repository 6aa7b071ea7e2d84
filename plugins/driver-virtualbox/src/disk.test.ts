import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BOOT2DOCKER_MAGIC, boot2dockerUserData, imageFormat } from './disk';

describe('virtualbox disks', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbox-disk-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, head: Buffer, size = 4096) => {
    const b = Buffer.alloc(size);
    head.copy(b);
    const p = path.join(dir, name);
    fs.writeFileSync(p, b);
    return p;
  };

  it('tells cloud image formats by their magic bytes', async () => {
    assert.equal(await imageFormat(file('a.vmdk', Buffer.from('KDMV'))), 'VMDK');
    assert.equal(await imageFormat(file('b.vmdk', Buffer.from('# Disk DescriptorFile\n'))), 'VMDK');
    assert.equal(await imageFormat(file('c.qcow2', Buffer.from('QFI\xfb', 'latin1'))), 'QCOW');
    const vdi = Buffer.alloc(72);
    vdi.write('<<< Oracle VM VirtualBox Disk Image >>>\n', 'latin1');
    vdi.writeUInt32LE(0xbeda107f, 64);
    assert.equal(await imageFormat(file('d.vdi', vdi)), 'VDI');
    const vhd = file('e.vhd', Buffer.alloc(0));
    fs.writeSync(fs.openSync(vhd, 'r+'), Buffer.from('conectix'), 0, 8, 4096 - 512);
    assert.equal(await imageFormat(vhd), 'VHD');
    assert.equal(await imageFormat(file('f.raw', Buffer.from([0xeb, 0x63, 0x90]))), 'RAW');
  });

  it('writes boot2docker user data as a tar starting with the magic file, with the key twice', async () => {
    const tar = await boot2dockerUserData('ssh-rsa AAAA key');
    assert.equal(tar.subarray(0, BOOT2DOCKER_MAGIC.length).toString(), BOOT2DOCKER_MAGIC);
    assert.equal(tar.length % 512, 0);
    const text = tar.toString('latin1');
    assert.ok(text.includes('.ssh/authorized_keys\0'));
    assert.ok(text.includes('.ssh/authorized_keys2\0'));
    assert.equal(text.split('ssh-rsa AAAA key\n').length - 1, 2);
  });
});
