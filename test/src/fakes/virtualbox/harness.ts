// What the VirtualBox driver tests share: the driver executable, an
// environment whose PATH finds the stand-in VBoxManage, and a loopback HTTP
// server for guest images that can cut a download short and answers Range
// requests.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { driverBin, envWithout, tempDir } from '../common/harness';
import type { FakeVirtualBox } from './server';

/** Whether two IPv4 networks (address/prefix) share any address. */
function overlaps(a: string, b: string): boolean {
  const parse = (c: string) => {
    const [ip, prefix] = c.split('/');
    return { n: ip.split('.').reduce((x, o) => x * 256 + Number(o), 0), prefix: Number(prefix) };
  };
  const x = parse(a);
  const y = parse(b);
  const prefix = Math.min(x.prefix, y.prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((x.n & mask) >>> 0) === ((y.n & mask) >>> 0);
}

/**
 * A host-only network that collides with none of this computer's
 * interfaces, outside Docker's default address pools (172.17-31.0.0/16 and
 * 192.168.0.0/16 in /20s): test runs alongside make and remove Docker
 * networks there at any time, and the driver rightly refuses a host-only
 * network that overlaps one.
 */
export function freeHostOnlyCIDR(): string {
  const taken = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && a.cidr)
    .map((a) => a!.cidr!);
  const candidates = Array.from({ length: 200 }, (_, i) => `10.${213 + (i >> 4)}.${(i & 15) * 16}.1/24`);
  const free = candidates.find((c) => !taken.some((t) => overlaps(c, t)));
  if (!free) throw new Error(`no free host-only network among ${candidates.length} candidates`);
  return free;
}

export const HOSTONLY_CIDR = freeHostOnlyCIDR();

/** The host's address on HOSTONLY_CIDR and the /24 base the DHCP range is in. */
export const HOSTONLY_IP = HOSTONLY_CIDR.split('/')[0];
export const HOSTONLY_BASE = HOSTONLY_IP.split('.').slice(0, 3).join('.');

export { tempDir };
export const DRIVER_BIN = driverBin('virtualbox');


/**
 * The process environment with the stand-in's VBoxManage first on PATH (or
 * none at all), its user folder for leases, a private lock folder and short
 * polling intervals.
 */
export function vboxEnv(fake: FakeVirtualBox | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = envWithout(['VIRTUALBOX_', 'VBOX_']);
  const tmp = fake ? path.join(fake.dir, 'tmp') : os.tmpdir();
  fs.mkdirSync(tmp, { recursive: true });
  return {
    ...env,
    // Only system folders besides the stand-in: no real VBoxManage a developer may have installed.
    PATH: [...(fake ? [fake.binDir] : []), path.dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
    ...(fake ? { VBOX_USER_HOME: fake.userHome } : {}),
    TMPDIR: tmp,
    VIRTUALBOX_HOSTONLY_CIDR: HOSTONLY_CIDR,
    MACHINE_VIRTUALBOX_POLL_MS: '100',
    MACHINE_VIRTUALBOX_STOP_TIMEOUT_S: '10',
    MACHINE_VIRTUALBOX_IP_TIMEOUT_S: '5',
    ...extra,
  };
}

/** A guest image the stand-in can clone: a VMDK header and some content. */
export function fakeImage(bytes = 256 * 1024): Buffer {
  const body = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) body[i] = (i * 7 + 13) & 255;
  return Buffer.concat([Buffer.from('KDMV'.padEnd(512, '\0'), 'latin1'), body]);
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface ImageServer {
  url: string;
  /** Every request: path and Range header. */
  readonly requests: { path: string; range?: string }[];
  /** Cut the next `n` full downloads of a file after `afterBytes` bytes. */
  interrupt(n: number, afterBytes: number): void;
  /** Replace a file's content; listInSums false leaves it out of SHA256SUMS. */
  set(name: string, content: Buffer, listInSums?: boolean): void;
  /** SHA256SUMS lists a wrong digest for the file, as for a tampered download. */
  corruptSum(name: string): void;
  close(): Promise<void>;
}

/** Serves files and a SHA256SUMS of them on 127.0.0.1, with Range support. */
export async function startImageServer(files: Record<string, Buffer>): Promise<ImageServer> {
  const content = new Map(Object.entries(files));
  const inSums = new Set(content.keys());
  const corrupt = new Set<string>();
  const requests: { path: string; range?: string }[] = [];
  let cuts = 0;
  let cutAfter = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0].replace(/^\/+/, ''));
    requests.push({ path: `/${name}`, range: req.headers.range });
    if (name === 'SHA256SUMS') {
      const body = [...content].filter(([n]) => inSums.has(n)).map(([n, b]) => `${corrupt.has(n) ? sha256(Buffer.from('tampered')) : sha256(b)} *${n}\n`).join('');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      return res.end(body);
    }
    const file = content.get(name);
    if (!file) {
      res.writeHead(404);
      return res.end();
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= file.length && range) {
      res.writeHead(416, { 'content-range': `bytes */${file.length}` });
      return res.end();
    }
    const body = file.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` } : {}),
    });
    if (cuts > 0 && body.length > cutAfter) {
      cuts--;
      // Half the file, then the connection drops.
      res.write(body.subarray(0, cutAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    interrupt(n, afterBytes) {
      cuts = n;
      cutAfter = afterBytes;
    },
    set(name, b, listInSums = true) {
      content.set(name, b);
      if (listInSums) inSums.add(name);
      else inSums.delete(name);
    },
    corruptSum(name) {
      corrupt.add(name);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
