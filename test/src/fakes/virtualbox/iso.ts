// Reads the files of the root directory of an ISO 9660 image, preferring
// the Joliet volume's names, as Linux's isofs does. The stand-in reads the
// cloud-init seed with it, independently of the driver's writer.

const SECTOR = 2048;

export interface IsoImage {
  /** The volume label of the primary volume, trimmed. */
  label: string;
  joliet: boolean;
  files: Map<string, Buffer>;
}

function decodeJoliet(b: Buffer): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
  return s;
}

export function readIso(image: Buffer): IsoImage | undefined {
  if (image.length < 17 * SECTOR || image.subarray(16 * SECTOR + 1, 16 * SECTOR + 6).toString('latin1') !== 'CD001') return undefined;
  let primary: Buffer | undefined;
  let joliet: Buffer | undefined;
  for (let sector = 16; (sector + 1) * SECTOR <= image.length; sector++) {
    const d = image.subarray(sector * SECTOR, (sector + 1) * SECTOR);
    if (d.subarray(1, 6).toString('latin1') !== 'CD001') break;
    if (d[0] === 1) primary = d;
    if (d[0] === 2 && d.subarray(88, 90).toString('latin1') === '%/') joliet = d;
    if (d[0] === 255) break;
  }
  if (!primary) return undefined;
  const volume = joliet ?? primary;
  const root = volume.subarray(156, 156 + 34);
  const extent = root.readUInt32LE(2);
  const size = root.readUInt32LE(10);
  const dir = image.subarray(extent * SECTOR, extent * SECTOR + size);
  const files = new Map<string, Buffer>();
  for (let at = 0; at < dir.length; ) {
    const len = dir[at];
    if (len === 0) {
      at = (Math.floor(at / SECTOR) + 1) * SECTOR;
      continue;
    }
    const rec = dir.subarray(at, at + len);
    const idLen = rec[32];
    const id = rec.subarray(33, 33 + idLen);
    const isDir = (rec[25] & 2) !== 0;
    if (!isDir && !(idLen === 1 && id[0] <= 1)) {
      let name = joliet ? decodeJoliet(id) : id.toString('latin1');
      name = name.replace(/;1$/, '');
      if (!joliet) name = name.replace(/\.$/, '').toLowerCase();
      const fileExtent = rec.readUInt32LE(2);
      const fileSize = rec.readUInt32LE(10);
      files.set(name, image.subarray(fileExtent * SECTOR, fileExtent * SECTOR + fileSize));
    }
    at += len;
  }
  return { label: primary.subarray(40, 72).toString('latin1').trim(), joliet: !!joliet, files };
}

/** The user and keys a cloud-init user-data gives, from its first user entry (enough for the seeds the driver writes). */
export function cloudInitLogin(userData: string): { user: string; keys: string[] } | undefined {
  const user = /^users:\s*\n\s*-\s*name:\s*(\S+)/m.exec(userData)?.[1];
  const keysBlock = /ssh_authorized_keys:\s*\n((?:\s+-\s+.+\n?)+)/.exec(userData)?.[1] ?? '';
  const keys = [...keysBlock.matchAll(/-\s+(.+)/g)].map((m) => m[1].trim().replace(/^["']|["']$/g, ''));
  return user ? { user, keys } : undefined;
}
