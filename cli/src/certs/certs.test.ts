import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { bootstrapCertificates, defaultCertPaths, type CertPaths } from './bootstrap';
import { generateServerCert, VALIDITY_DAYS } from './generate';
import { checkServerCertHost, readCertSANs } from './inspect';
import { checkTLS, dockerVersion } from './tls-check';

describe('certificates', function () {
  this.timeout(60_000);
  // Made in a hook, not as the file is read: a suite --grep skips runs no after hook to remove it.
  let root: string;
  let paths: CertPaths;
  const lines: string[] = [];
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'certs-test-'));
    paths = defaultCertPaths(root);
    const r = await bootstrapCertificates(paths, { storeRoot: root, log: (l) => lines.push(l) });
    assert.deepEqual(r, { createdCA: true, createdClient: true });
  });

  it('bootstraps CA and client certificate once, with the reference parameters', async () => {
    assert.deepEqual(lines, [`Creating CA: ${paths.caCertPath}`, `Creating client certificate: ${paths.clientCertPath}`]);
    assert.equal(fs.statSync(paths.caKeyPath).mode & 0o777, 0o600);
    assert.equal(fs.statSync(paths.clientKeyPath).mode & 0o777, 0o600);
    assert.equal(fs.statSync(paths.certDir).mode & 0o777, 0o700);
    assert.match(fs.readFileSync(paths.caKeyPath, 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----/);
    const ca = new crypto.X509Certificate(fs.readFileSync(paths.caCertPath));
    assert.equal(ca.ca, true);
    assert.match(ca.subject, /^O=/);
    assert.doesNotMatch(ca.subject, /CN=/);
    const days = (new Date(ca.validTo).getTime() - new Date(ca.validFrom).getTime()) / 86_400_000;
    assert.equal(Math.round(days), VALIDITY_DAYS);
    assert.ok(new Date(ca.validFrom).getTime() <= Date.now() - 4 * 60_000);
    assert.equal((ca.publicKey.asymmetricKeyDetails?.modulusLength), 2048);
    const client = new crypto.X509Certificate(fs.readFileSync(paths.clientCertPath));
    assert.ok(client.verify(ca.publicKey));
    assert.match(client.subject, /bootstrap/);
    const again = await bootstrapCertificates(paths, { storeRoot: root, log: (l) => lines.push(l) });
    assert.deepEqual(again, { createdCA: false, createdClient: false });
  });

  it('forceCA renews a valid CA in place and the client certificate with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certs-renew-'));
    try {
      const p = defaultCertPaths(dir);
      await bootstrapCertificates(p, { storeRoot: dir, log: () => undefined });
      const oldCA = new crypto.X509Certificate(fs.readFileSync(p.caCertPath));
      const log: string[] = [];
      const r = await bootstrapCertificates(p, { storeRoot: dir, forceCA: true, log: (l) => log.push(l) });
      assert.deepEqual(r, { createdCA: true, createdClient: true });
      assert.deepEqual(log, [`Renewing CA: ${p.caCertPath}`, `Creating client certificate: ${p.clientCertPath}`]);
      const newCA = new crypto.X509Certificate(fs.readFileSync(p.caCertPath));
      assert.notEqual(newCA.fingerprint256, oldCA.fingerprint256);
      assert.equal(fs.statSync(p.caKeyPath).mode & 0o777, 0o600);
      const client = new crypto.X509Certificate(fs.readFileSync(p.clientCertPath));
      assert.ok(client.verify(newCA.publicKey));
      assert.ok(!client.verify(oldCA.publicKey));
      // The new key signs for the new certificate.
      const key = crypto.createPrivateKey(fs.readFileSync(p.caKeyPath));
      assert.ok(crypto.createPublicKey(key).equals(newCA.publicKey));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('server certificate SANs: IP, localhost, extra names; TLS check and /version with the client cert', async () => {
    const server = await generateServerCert({
      caCertPem: fs.readFileSync(paths.caCertPath, 'utf8'),
      caKeyPem: fs.readFileSync(paths.caKeyPath, 'utf8'),
      org: 'u.dev',
      hosts: ['127.0.0.1', 'localhost', 'dev.example.com'],
    });
    const sans = readCertSANs(server.certPem);
    assert.deepEqual(sans, { ips: ['127.0.0.1'], dns: ['localhost', 'dev.example.com'] });
    const certFile = path.join(root, 'server.pem');
    fs.writeFileSync(certFile, server.certPem);
    assert.equal(checkServerCertHost(certFile, '127.0.0.1').ok, true);
    assert.equal(checkServerCertHost(certFile, '10.9.8.7').ok, false);

    const srv = https.createServer(
      { key: server.keyPem, cert: server.certPem, ca: fs.readFileSync(paths.caCertPath), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ Version: '24.0.7', Path: req.url }));
      },
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `tcp://127.0.0.1:${(srv.address() as AddressInfo).port}`;
      const files = { caPath: paths.caCertPath, certPath: paths.clientCertPath, keyPath: paths.clientKeyPath };
      await checkTLS({ url, ...files, timeoutMs: 5000 });
      assert.equal(await dockerVersion({ url, ...files, timeoutMs: 5000 }), '24.0.7');
      // A client without our certificate is refused by the daemon side.
      await assert.rejects(checkTLS({ url, caPath: paths.caCertPath, certPath: certFile, keyPath: path.join(root, 'nokey'), timeoutMs: 5000 }));
    } finally {
      srv.close();
    }
  });
});
