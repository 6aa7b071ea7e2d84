// The VM's disk: what kind of image a file is (VirtualBox clones the formats
// it knows and converts raw images), and boot2docker's user-data tar, which
// its automount script finds on the raw disk and formats around.
import { promises as fs } from 'node:fs';
import * as tar from 'tar-stream';

export type ImageFormat = 'VMDK' | 'VDI' | 'VHD' | 'QCOW' | 'RAW';

/** Recognises an image by its magic bytes; anything unknown is a raw disk. */
export async function imageFormat(file: string): Promise<ImageFormat> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(512);
    await handle.read(head, 0, 512, 0);
    if (head.subarray(0, 4).toString('latin1') === 'KDMV' || head.subarray(0, 21).toString('latin1') === '# Disk DescriptorFile') return 'VMDK';
    if (head.subarray(0, 4).toString('latin1') === 'QFI\xfb') return 'QCOW';
    if (head.subarray(0, 40).toString('latin1').startsWith('<<< ') && head.readUInt32LE(64) === 0xbeda107f) return 'VDI';
    if (head.subarray(0, 8).toString('latin1') === 'conectix') return 'VHD';
    if (size >= 512) {
      const tail = Buffer.alloc(8);
      await handle.read(tail, 0, 8, size - 512);
      if (tail.toString('latin1') === 'conectix') return 'VHD';
    }
    return 'RAW';
  } finally {
    await handle.close();
  }
}

/** The magic string boot2docker's automount looks for on the raw disk before formatting it. */
export const BOOT2DOCKER_MAGIC = 'boot2docker, please format-me';

/** A tar holding the magic file and the SSH key, as the boot2docker disk's first bytes. */
export async function boot2dockerUserData(publicKey: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const key = `${publicKey.trim()}\n`;
  pack.entry({ name: BOOT2DOCKER_MAGIC }, BOOT2DOCKER_MAGIC);
  pack.entry({ name: '.ssh', type: 'directory', mode: 0o700 });
  pack.entry({ name: '.ssh/authorized_keys', mode: 0o644 }, key);
  pack.entry({ name: '.ssh/authorized_keys2', mode: 0o644 }, key);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
