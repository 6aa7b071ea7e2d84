import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError } from '@machine/driver-sdk';
import { cacheName, checksumFromSums, fetchImage, type DownloadOptions } from './download';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('guest image downloads', () => {
  const image = Buffer.alloc(200_000, 7);
  let server: http.Server;
  let url: string;
  let dir: string;
  let requests: { path: string; range?: string }[];
  let cutNext = 0;
  let sums = '';

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push({ path: req.url ?? '', range: req.headers.range });
      if (req.url?.endsWith('/SHA256SUMS')) {
        if (!sums) {
          res.writeHead(404);
          return res.end();
        }
        res.writeHead(200);
        return res.end(sums);
      }
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const body = image.subarray(start);
      res.writeHead(start ? 206 : 200, { 'content-length': String(body.length), ...(start ? { 'content-range': `bytes ${start}-${image.length - 1}/${image.length}` } : {}) });
      if (cutNext > 0) {
        cutNext--;
        res.write(body.subarray(0, body.length / 2), () => setTimeout(() => res.socket?.destroy(), 10));
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/images/noble.vmdk`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbox-dl-'));
    requests = [];
    cutNext = 0;
    sums = `${sha(image)} *noble.vmdk\n${'0'.repeat(64)}  other.img\n`;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = (extra: Partial<DownloadOptions> = {}) => {
    const progress: string[] = [];
    const warnings: string[] = [];
    const o: DownloadOptions = { url, checksum: '', cacheDir: dir, flag: 'virtualbox-image-url', progress: (m) => progress.push(m), warn: (m) => warnings.push(m), ...extra };
    return { o, progress, warnings };
  };

  it('downloads once, verifies against SHA256SUMS, shows a progress bar and reuses the cache', async () => {
    const { o, progress } = opts();
    const file = await fetchImage(o);
    assert.deepEqual(fs.readFileSync(file), image);
    assert.equal(path.basename(file), 'noble.vmdk');
    assert.ok(progress.includes('0%....10%....20%....30%....40%....50%....60%....70%....80%....90%....100%'), progress.join('\n'));
    requests = [];
    assert.equal(await fetchImage(opts().o), file);
    assert.deepEqual(requests.map((r) => r.path), ['/images/SHA256SUMS'], 'only the checksums are fetched again');
  });

  it('resumes an interrupted download with a Range request', async () => {
    cutNext = 1;
    const { o, progress } = opts();
    const file = await fetchImage(o);
    assert.deepEqual(fs.readFileSync(file), image);
    const ranged = requests.filter((r) => r.range);
    assert.deepEqual(ranged.map((r) => r.range), [`bytes=${image.length / 2}-`]);
    assert.ok(progress.some((p) => /Resuming the download/.test(p)));
  });

  it('resumes across calls from the partial file a failed create left', async () => {
    cutNext = 1;
    await assert.rejects(fetchImage(opts({ attempts: 1 }).o), (err: unknown) => err instanceof DriverError && /Run create again: the download resumes/.test(err.detail ?? ''));
    requests = [];
    const file = await fetchImage(opts().o);
    assert.deepEqual(fs.readFileSync(file), image);
    assert.equal(requests.find((r) => r.path.endsWith('noble.vmdk'))?.range, `bytes=${image.length / 2}-`);
  });

  it('refuses an image whose checksum does not match, and keeps nothing of it', async () => {
    sums = `${'ab'.repeat(32)} *noble.vmdk\n`;
    await assert.rejects(fetchImage(opts().o), (err: unknown) => err instanceof DriverError && err.flag === 'virtualbox-image-url' && /has SHA-256 [0-9a-f]{64}, not the expected abab/.test(err.message));
    await assert.rejects(fetchImage(opts({ checksum: 'cd'.repeat(32) }).o), /refusing to use it/);
    const left = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.vmdk') || f.endsWith('.part'));
    assert.deepEqual(left, []);
  });

  it('downloads once when several creates want the same image at the same time', async () => {
    const files = await Promise.all([fetchImage(opts().o), fetchImage(opts().o), fetchImage(opts().o)]);
    assert.equal(new Set(files).size, 1);
    assert.deepEqual(fs.readFileSync(files[0]), image);
    assert.equal(requests.filter((r) => r.path.endsWith('noble.vmdk')).length, 1);
  });

  it('warns when nothing can verify the image', async () => {
    sums = '';
    const { o, warnings } = opts();
    await fetchImage(o);
    assert.match(warnings.join('\n'), /was not verified/);
  });

  it('parses SHA256SUMS lines and cache names', () => {
    assert.equal(checksumFromSums(`${'AA'.repeat(32)} *a.img\n${'bb'.repeat(32)}  b.img\n`, 'b.img'), 'bb'.repeat(32));
    assert.equal(checksumFromSums('', 'b.img'), undefined);
    assert.equal(cacheName('https://x/a%20b/noble server.vmdk?x=1'), 'noble_server.vmdk');
  });
});
