// The cloud-init NoCloud seed: user-data with the machine's SSH key,
// meta-data and network-config, on an ISO 9660 image labelled "cidata"
// that VirtualBox attaches as a DVD.
//
// The image is written here rather than with a library or genisoimage:
// npm has no maintained ISO 9660 writer, and an external tool is what users
// on macOS and Windows lack. A seed needs only one directory of three small
// files, so the writer is a primary volume (8.3 names) plus a Joliet volume
// that carries the real names, which is what Linux mounts.

export interface SeedFile {
  name: string;
  content: Buffer;
}

export interface SeedOptions {
  hostname: string;
  instanceId: string;
  user: string;
  publicKey: string;
}

const SECTOR = 2048;

/** cloud-config for the machine: one sudo user that logs in with the machine's key, no passwords. */
export function userData(o: SeedOptions): string {
  return [
    '#cloud-config',
    `hostname: ${o.hostname}`,
    'users:',
    `  - name: ${o.user}`,
    '    groups: [sudo]',
    '    sudo: "ALL=(ALL) NOPASSWD:ALL"',
    '    shell: /bin/bash',
    '    lock_passwd: true',
    '    ssh_authorized_keys:',
    `      - ${o.publicKey.trim()}`,
    'ssh_pwauth: false',
    'growpart:',
    '  mode: auto',
    "  devices: ['/']",
    '',
  ].join('\n');
}

export function metaData(o: SeedOptions): string {
  return `instance-id: ${o.instanceId}\nlocal-hostname: ${o.hostname}\n`;
}

/** DHCP on every Ethernet NIC: the NAT one and the host-only one (cloud-init's fallback configures only the first). */
export function networkConfig(): string {
  return ['version: 2', 'ethernets:', '  nics:', '    match:', '      name: "e*"', '    dhcp4: true', ''].join('\n');
}

export function seedFiles(o: SeedOptions): SeedFile[] {
  return [
    { name: 'meta-data', content: Buffer.from(metaData(o)) },
    { name: 'network-config', content: Buffer.from(networkConfig()) },
    { name: 'user-data', content: Buffer.from(userData(o)) },
  ];
}

export function buildSeedIso(o: SeedOptions, now = new Date()): Buffer {
  return buildIso('cidata', seedFiles(o), now);
}

function both32(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

function both16(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(n, 0);
  b.writeUInt16BE(n, 2);
  return b;
}

function ucs2be(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1];
    be[i + 1] = le[i];
  }
  return be;
}

function padded(text: Buffer, length: number, pad: Buffer): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += pad.length) pad.copy(out, i);
  text.copy(out, 0, 0, Math.min(text.length, length));
  return out;
}

function recordingDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}

function volumeDate(d: Date | undefined): Buffer {
  const b = Buffer.alloc(17, 0x30);
  if (d) {
    const p = (n: number, w: number) => String(n).padStart(w, '0');
    Buffer.from(`${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}${p(d.getUTCHours(), 2)}${p(d.getUTCMinutes(), 2)}${p(d.getUTCSeconds(), 2)}00`).copy(b);
  }
  b[16] = 0;
  return b;
}

function dirRecord(id: Buffer, extent: number, size: number, isDir: boolean, date: Date): Buffer {
  const len = 33 + id.length + (id.length % 2 === 0 ? 1 : 0);
  const r = Buffer.alloc(len);
  r[0] = len;
  both32(extent).copy(r, 2);
  both32(size).copy(r, 10);
  recordingDate(date).copy(r, 18);
  r[25] = isDir ? 2 : 0;
  both16(1).copy(r, 28);
  r[32] = id.length;
  id.copy(r, 33);
  return r;
}

/** An ISO 9660 level-1 name: upper case, 8.3, version 1. */
export function isoLevel1Name(name: string, taken: Set<string>): string {
  const clean = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const dot = name.lastIndexOf('.');
  const base = clean(dot > 0 ? name.slice(0, dot) : name);
  const ext = clean(dot > 0 ? name.slice(dot + 1) : '').slice(0, 3);
  let candidate = `${base.slice(0, 8)}.${ext};1`;
  for (let n = 1; taken.has(candidate); n++) candidate = `${base.slice(0, 8 - String(n).length)}${n}.${ext};1`;
  taken.add(candidate);
  return candidate;
}

/** One directory of files on a primary volume and a Joliet volume. */
export function buildIso(label: string, files: SeedFile[], now = new Date()): Buffer {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const taken = new Set<string>();
  const primaryNames = sorted.map((f) => isoLevel1Name(f.name, taken));

  // Sectors: 16 system area, 16 PVD, 17 Joliet SVD, 18 terminator, 19-22 path tables, 23-24 root directories, then data.
  const PVD = 16;
  const SVD = 17;
  const TERM = 18;
  const PATH_L = 19;
  const PATH_M = 20;
  const JPATH_L = 21;
  const JPATH_M = 22;
  const ROOT = 23;
  const JROOT = 24;
  let next = 25;
  const extents = sorted.map((f) => {
    const at = next;
    next += Math.max(1, Math.ceil(f.content.length / SECTOR));
    return at;
  });
  const total = next;
  const image = Buffer.alloc(total * SECTOR);

  const rootDir = (joliet: boolean): Buffer => {
    const own = joliet ? JROOT : ROOT;
    const records = [dirRecord(Buffer.from([0]), own, SECTOR, true, now), dirRecord(Buffer.from([1]), own, SECTOR, true, now)];
    sorted.forEach((f, i) => records.push(dirRecord(joliet ? ucs2be(f.name) : Buffer.from(primaryNames[i], 'ascii'), extents[i], f.content.length, false, now)));
    const dir = Buffer.concat(records);
    if (dir.length > SECTOR) throw new Error('too many files for a one-sector seed directory');
    return dir;
  };

  const pathTable = (extent: number, bigEndian: boolean): Buffer => {
    const t = Buffer.alloc(10);
    t[0] = 1;
    if (bigEndian) t.writeUInt32BE(extent, 2);
    else t.writeUInt32LE(extent, 2);
    if (bigEndian) t.writeUInt16BE(1, 6);
    else t.writeUInt16LE(1, 6);
    return t;
  };

  const descriptor = (joliet: boolean): Buffer => {
    const d = Buffer.alloc(SECTOR);
    d[0] = joliet ? 2 : 1;
    Buffer.from('CD001').copy(d, 1);
    d[6] = 1;
    const text = (s: string, len: number) => (joliet ? padded(ucs2be(s), len, ucs2be(' ')) : padded(Buffer.from(s.toUpperCase(), 'ascii'), len, Buffer.from(' ')));
    text('', 32).copy(d, 8);
    // The label stays lower case in both: cloud-init looks for "cidata" (or "CIDATA") either way.
    (joliet ? padded(ucs2be(label), 32, ucs2be(' ')) : padded(Buffer.from(label, 'ascii'), 32, Buffer.from(' '))).copy(d, 40);
    both32(total).copy(d, 80);
    if (joliet) Buffer.from('%/E').copy(d, 88);
    both16(1).copy(d, 120);
    both16(1).copy(d, 124);
    both16(SECTOR).copy(d, 128);
    both32(10).copy(d, 132);
    d.writeUInt32LE(joliet ? JPATH_L : PATH_L, 140);
    d.writeUInt32BE(joliet ? JPATH_M : PATH_M, 148);
    dirRecord(Buffer.from([0]), joliet ? JROOT : ROOT, SECTOR, true, now).copy(d, 156);
    for (const [offset, len] of [[190, 128], [318, 128], [446, 128], [574, 128], [702, 37], [739, 37], [776, 37]] as const) {
      text(offset === 574 ? 'MACHINE' : '', len).copy(d, offset);
    }
    volumeDate(now).copy(d, 813);
    volumeDate(now).copy(d, 830);
    volumeDate(undefined).copy(d, 847);
    volumeDate(undefined).copy(d, 864);
    d[881] = 1;
    return d;
  };

  descriptor(false).copy(image, PVD * SECTOR);
  descriptor(true).copy(image, SVD * SECTOR);
  const term = Buffer.alloc(7);
  term[0] = 255;
  Buffer.from('CD001').copy(term, 1);
  term[6] = 1;
  term.copy(image, TERM * SECTOR);
  pathTable(ROOT, false).copy(image, PATH_L * SECTOR);
  pathTable(ROOT, true).copy(image, PATH_M * SECTOR);
  pathTable(JROOT, false).copy(image, JPATH_L * SECTOR);
  pathTable(JROOT, true).copy(image, JPATH_M * SECTOR);
  rootDir(false).copy(image, ROOT * SECTOR);
  rootDir(true).copy(image, JROOT * SECTOR);
  sorted.forEach((f, i) => f.content.copy(image, extents[i] * SECTOR));
  return image;
}
