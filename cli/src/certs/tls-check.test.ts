import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { bootstrapCertificates, defaultCertPaths, type CertPaths } from './bootstrap';
import { generateServerCert } from './generate';
import { checkTLS, daemonRequest, dockerVersion, type DaemonError, type TLSFiles } from './tls-check';

interface ServerCert {
  keyPem: string;
  certPem: string;
}

async function pki(root: string): Promise<CertPaths> {
  const paths = defaultCertPaths(root);
  await bootstrapCertificates(paths, { storeRoot: root, log: () => undefined });
  return paths;
}

function serverCert(paths: CertPaths, hosts: string[]): Promise<ServerCert> {
  return generateServerCert({
    caCertPem: fs.readFileSync(paths.caCertPath, 'utf8'),
    caKeyPem: fs.readFileSync(paths.caKeyPath, 'utf8'),
    org: 'u.dev',
    hosts,
  });
}

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(p: Promise<unknown>): Promise<DaemonError> {
  try {
    await p;
  } catch (e) {
    return e as DaemonError;
  }
  assert.fail('expected a failure');
}

describe('talking to a daemon over TLS', function () {
  this.timeout(60_000);
  const servers: net.Server[] = [];
  // Made in a hook, not as the file is read: a suite --grep skips runs no after hook to remove it.
  let root: string;
  let paths: CertPaths;
  let files: TLSFiles;
  let ours: ServerCert;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-check-test-'));
    paths = await pki(path.join(root, 'ours'));
    files = { caPath: paths.caCertPath, certPath: paths.clientCertPath, keyPath: paths.clientKeyPath };
    ours = await serverCert(paths, ['127.0.0.1']);
  });

  after(() => {
    for (const s of servers) s.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function daemon(cert: ServerCert, handler: http.RequestListener): Promise<string> {
    const server = https.createServer({ key: cert.keyPem, cert: cert.certPem, ca: fs.readFileSync(paths.caCertPath), requestCert: true, rejectUnauthorized: true }, handler);
    servers.push(server);
    return listen(server);
  }

  it('reads a chunked answer whole, multi-byte characters split across chunks included', async () => {
    const body = JSON.stringify({ Version: '24.0.7', Note: 'Größe ✓' });
    const bytes = Buffer.from(body);
    const url = await daemon(ours, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // One byte at a time: every chunk boundary, inside characters too.
      for (const byte of bytes) res.write(Buffer.from([byte]));
      res.end();
    });
    const answer = await daemonRequest({ url, ...files, timeoutMs: 5000 }, 'GET', '/version');
    assert.deepEqual(answer, { status: 200, body });
    assert.equal(await dockerVersion({ url, ...files, timeoutMs: 5000 }), '24.0.7');
  });

  it('sends the method, path and user agent, and returns any status with its body', async () => {
    const seen: string[] = [];
    const url = await daemon(ours, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['user-agent']}`);
      res.writeHead(404);
      res.end('page not found');
    });
    assert.deepEqual(await daemonRequest({ url, ...files, timeoutMs: 5000 }, 'HEAD', '/_ping'), { status: 404, body: '' });
    assert.deepEqual(await daemonRequest({ url, ...files, timeoutMs: 5000 }, 'GET', '/nothing'), { status: 404, body: 'page not found' });
    assert.deepEqual(seen, ['HEAD /_ping machine', 'GET /nothing machine']);
    await assert.rejects(dockerVersion({ url, ...files, timeoutMs: 5000 }), /GET \/version answered 404/);
  });

  it('accepts the expected certificate and refuses another one our CA signed for the same address', async () => {
    const url = await daemon(ours, (_req, res) => res.end('{"Version":"1"}'));
    await checkTLS({ url, ...files, timeoutMs: 5000, expectCertPem: ours.certPem });
    assert.equal((await daemonRequest({ url, ...files, timeoutMs: 5000, expectCertPem: ours.certPem }, 'GET', '/version')).status, 200);

    const other = await serverCert(paths, ['127.0.0.1']);
    for (const attempt of [
      checkTLS({ url, ...files, timeoutMs: 5000, expectCertPem: other.certPem }),
      daemonRequest({ url, ...files, timeoutMs: 5000, expectCertPem: other.certPem }, 'GET', '/version'),
    ]) {
      const err = await failure(attempt);
      assert.equal(err.name, 'DaemonError');
      assert.equal(err.kind, 'certificate');
      assert.match(err.message, /presented another machine's certificate \(O=u\.dev/);
    }
  });

  it('refuses a certificate from another CA, and one made for another address', async () => {
    const strangerPaths = await pki(path.join(root, 'stranger'));
    const stranger = await serverCert(strangerPaths, ['127.0.0.1']);
    const elsewhere = await serverCert(paths, ['10.9.8.7']);
    for (const cert of [stranger, elsewhere]) {
      const url = await daemon(cert, (_req, res) => res.end('{}'));
      for (const attempt of [checkTLS({ url, ...files, timeoutMs: 5000 }), daemonRequest({ url, ...files, timeoutMs: 5000 }, 'GET', '/version')]) {
        const err = await failure(attempt);
        assert.equal(err.kind, 'certificate', err.message);
      }
    }
  });

  it('tells an unreachable daemon from one that does not answer in time', async () => {
    const closed = net.createServer();
    const closedURL = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    for (const attempt of [checkTLS({ url: closedURL, ...files, timeoutMs: 5000 }), daemonRequest({ url: closedURL, ...files, timeoutMs: 5000 }, 'GET', '/version')]) {
      assert.equal((await failure(attempt)).kind, 'unreachable');
    }

    // Accepts the connection, never says a word.
    const mute = net.createServer(() => undefined);
    servers.push(mute);
    const muteURL = await listen(mute);
    // Completes the handshake, never answers the request.
    const silent = await daemon(ours, () => undefined);
    for (const attempt of [
      checkTLS({ url: muteURL, ...files, timeoutMs: 300 }),
      daemonRequest({ url: muteURL, ...files, timeoutMs: 300 }, 'GET', '/version'),
      daemonRequest({ url: silent, ...files, timeoutMs: 300 }, 'GET', '/version'),
    ]) {
      const err = await failure(attempt);
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /^no answer from tcp:\/\/127\.0\.0\.1:\d+ within 0 s$/);
    }
  });

  it('reports a connection closed before the answer as unreachable', async () => {
    const url = await daemon(ours, (req) => req.socket.destroy());
    assert.equal((await failure(daemonRequest({ url, ...files, timeoutMs: 5000 }, 'GET', '/version'))).kind, 'unreachable');
  });

  it('rejects a URL that is not tcp://host:port before connecting', async () => {
    await assert.rejects(checkTLS({ url: 'http://127.0.0.1:2376', ...files }), /is not a tcp:\/\/host:port URL/);
    await assert.rejects(daemonRequest({ url: 'unix:///var/run/docker.sock', ...files }, 'GET', '/version'), /is not a tcp:\/\/host:port URL/);
  });
});
