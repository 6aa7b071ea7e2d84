import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bootstrapCertificates, defaultCertPaths } from './bootstrap';
import { certificateOf } from './x509';

describe('certificateOf', function () {
  this.timeout(30_000);
  // Made in a hook, not as the file is read: a suite --grep skips runs no after hook to remove it.
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'x509-test-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('parses a certificate once, whether it comes as PEM text, PEM bytes or its DER', async () => {
    const paths = defaultCertPaths(root);
    await bootstrapCertificates(paths, { storeRoot: root, log: () => undefined });
    const bytes = fs.readFileSync(paths.caCertPath);
    const fromBytes = certificateOf(bytes);
    assert.equal(certificateOf(bytes.toString('latin1')), fromBytes);
    assert.equal(certificateOf(Buffer.from(bytes)), fromBytes);
    const fromDer = certificateOf(fromBytes.raw);
    assert.equal(certificateOf(Buffer.from(fromBytes.raw)), fromDer);
    assert.ok(fromDer.raw.equals(fromBytes.raw));
    // Another certificate is another entry.
    const client = certificateOf(fs.readFileSync(paths.clientCertPath));
    assert.notEqual(client, fromBytes);
    assert.notEqual(client.fingerprint256, fromBytes.fingerprint256);
  });

  it('throws for what is not a certificate, and caches no failure', () => {
    assert.throws(() => certificateOf('not a certificate'));
    assert.throws(() => certificateOf('not a certificate'));
  });
});
