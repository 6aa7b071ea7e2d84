import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generateCA, generateClientCert, generateServerCert, type IssuedCert } from './generate';
import { goNetError } from './go-wording';
import { checkTLS, daemonRequest, type DaemonError, type TLSFiles } from './tls-check';

const DAY = 24 * 3600_000;

interface Daemon {
  url: string;
  port: number;
  /** Application data the daemon received on any connection. */
  received: () => number;
}

/** What Node itself says connecting with our CA as its only trust, as tls-check did before. */
function nodeVerdict(files: TLSFiles, host: string, port: number): Promise<{ code?: string; message: string } | undefined> {
  return new Promise((resolve) => {
    const sock = tls.connect(
      {
        host,
        port,
        ca: fs.readFileSync(files.caPath),
        cert: fs.readFileSync(files.certPath),
        key: fs.readFileSync(files.keyPath),
        servername: /^[\d.:]+$/.test(host) ? undefined : host,
      },
      () => {
        sock.destroy();
        resolve(undefined);
      },
    );
    sock.on('error', (e: NodeJS.ErrnoException) => resolve({ code: e.code, message: e.message }));
  });
}

describe('verifying the daemon certificate without Node root store', function () {
  this.timeout(60_000);
  const servers: tls.Server[] = [];
  // Made in a hook, not as the file is read: a suite --grep skips runs no after hook to remove it.
  let root: string;
  let ca: IssuedCert;
  let files: TLSFiles;

  function serverCert(issuer: IssuedCert, o: { hosts?: string[]; now?: Date } = {}): Promise<IssuedCert> {
    return generateServerCert({ caCertPem: issuer.certPem, caKeyPem: issuer.keyPem, org: 'u.box', hosts: o.hosts ?? ['127.0.0.1'], now: o.now });
  }

  function filesTrusting(trusted: IssuedCert, name: string): TLSFiles {
    const caPath = path.join(root, `${name}-ca.pem`);
    fs.writeFileSync(caPath, trusted.certPem);
    return { ...files, caPath };
  }

  async function daemon(cert: IssuedCert, chain = ''): Promise<Daemon> {
    let received = 0;
    const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem + chain }, (sock) => {
      sock.on('data', (d: Buffer) => {
        received += d.length;
        sock.end('HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{"Version":"1.0"}');
      });
      sock.on('error', () => undefined);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    return { url: `tcp://127.0.0.1:${port}`, port, received: () => received };
  }

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'daemon-peer-test-'));
    ca = await generateCA('u');
    const client = await generateClientCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'u' });
    files = { caPath: path.join(root, 'ca.pem'), certPath: path.join(root, 'cert.pem'), keyPath: path.join(root, 'key.pem') };
    fs.writeFileSync(files.caPath, ca.certPem);
    fs.writeFileSync(files.certPath, client.certPem);
    fs.writeFileSync(files.keyPath, client.keyPem);
  });

  after(() => {
    for (const s of servers) s.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('accepts a certificate our CA issued for the address, by IP and by name', async () => {
    const d = await daemon(await serverCert(ca, { hosts: ['127.0.0.1', 'localhost'] }));
    await checkTLS({ url: d.url, ...files, timeoutMs: 5000 });
    await checkTLS({ url: `tcp://localhost:${d.port}`, ...files, timeoutMs: 5000 });
    const answer = await daemonRequest({ url: d.url, ...files, timeoutMs: 5000 }, 'GET', '/version');
    assert.deepEqual(answer, { status: 200, body: '{"Version":"1.0"}' });
    assert.ok(d.received() > 0, 'the request reached the daemon');
  });

  interface Case {
    name: string;
    daemon: () => Promise<Daemon>;
    host?: string;
    code: string;
    goWording: RegExp;
    /** How tls-check classifies the code; INVALID_PURPOSE was never counted as a certificate failure. */
    kind?: string;
  }

  const cases: Case[] = [
    {
      name: 'a certificate from another CA',
      daemon: async () => daemon(await serverCert(await generateCA('stranger'))),
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      goWording: /^x509: certificate signed by unknown authority$/,
    },
    {
      name: 'another CA sending its own root along',
      daemon: async () => {
        const stranger = await generateCA('stranger');
        return daemon(await serverCert(stranger), stranger.certPem);
      },
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      goWording: /^x509: certificate signed by unknown authority$/,
    },
    {
      name: 'a self-signed certificate',
      daemon: async () => daemon(await generateCA('selfish')),
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      goWording: /^x509: certificate signed by unknown authority$/,
    },
    {
      name: 'a certificate our CA issued for clients only',
      daemon: async () => daemon(await generateClientCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'u.box' })),
      code: 'INVALID_PURPOSE',
      goWording: /^unsuitable certificate purpose$/,
      kind: 'other',
    },
    {
      name: 'an expired certificate',
      daemon: async () => daemon(await serverCert(ca, { now: new Date(Date.now() - 4 * 365 * DAY) })),
      code: 'CERT_HAS_EXPIRED',
      goWording: /^x509: certificate has expired or is not yet valid$/,
    },
    {
      name: 'a certificate not valid yet',
      daemon: async () => daemon(await serverCert(ca, { now: new Date(Date.now() + 2 * DAY) })),
      code: 'CERT_NOT_YET_VALID',
      goWording: /^x509: certificate has expired or is not yet valid$/,
    },
    {
      name: 'a certificate for another IP',
      daemon: async () => daemon(await serverCert(ca, { hosts: ['10.9.8.7'] })),
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      goWording: /^x509: certificate is valid for 10\.9\.8\.7, not 127\.0\.0\.1$/,
    },
    {
      name: 'a certificate for another host name',
      daemon: async () => daemon(await serverCert(ca, { hosts: ['127.0.0.1', 'box.example'] })),
      host: 'localhost',
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      goWording: /^x509: certificate is not valid for localhost$/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with the code and message Node gives, before sending anything`, async () => {
      const d = await c.daemon();
      const host = c.host ?? '127.0.0.1';
      const target = { url: `tcp://${host}:${d.port}`, ...files, timeoutMs: 5000 };
      const expected = await nodeVerdict(target, host, d.port);
      assert.equal(expected?.code, c.code, 'what Node itself raises');
      for (const attempt of [checkTLS(target), daemonRequest(target, 'GET', '/version')]) {
        const err = (await attempt.then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        )) as DaemonError & { code?: string };
        assert.equal(err.name, 'DaemonError');
        assert.equal(err.kind, c.kind ?? 'certificate');
        assert.equal(err.code, expected.code);
        assert.equal(err.message, expected.message);
        assert.match(goNetError(err, host, d.port), c.goWording);
      }
      assert.equal(d.received(), 0, 'no application data reaches a daemon whose certificate failed');
    });
  }

  it('refuses any certificate when our CA has expired, with the code Node gives', async () => {
    const oldCA = await generateCA('u', new Date(Date.now() - 4 * 365 * DAY));
    const d = await daemon(await serverCert(oldCA, { now: new Date() }));
    const target = { url: d.url, ...filesTrusting(oldCA, 'old'), timeoutMs: 5000 };
    const expected = await nodeVerdict(target, '127.0.0.1', d.port);
    assert.deepEqual(expected, { code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' });
    for (const attempt of [checkTLS(target), daemonRequest(target, 'GET', '/version')]) {
      const err = (await attempt.then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      )) as DaemonError & { code?: string };
      assert.equal(err.code, 'CERT_HAS_EXPIRED');
      assert.equal(goNetError(err, '127.0.0.1', d.port), 'x509: certificate has expired or is not yet valid');
    }
    assert.equal(d.received(), 0);
  });

  it('trusts nothing when the CA file holds no certificate, as Node did', async () => {
    const d = await daemon(await serverCert(ca));
    const caPath = path.join(root, 'garbage-ca.pem');
    fs.writeFileSync(caPath, 'not a certificate\n');
    const target = { url: d.url, ...files, caPath, timeoutMs: 5000 };
    assert.equal((await nodeVerdict(target, '127.0.0.1', d.port))?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const err = (await checkTLS(target).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    )) as DaemonError & { code?: string };
    assert.equal(err.kind, 'certificate');
    assert.equal(err.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(goNetError(err, '127.0.0.1', d.port), 'x509: certificate signed by unknown authority');
    assert.equal(d.received(), 0);
  });
});
