import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { caExpiryWarning, certExpiry, expiryWarning } from './expiry';
import { generateCA, VALIDITY_DAYS } from './generate';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('certificate expiry', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expiry-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the days left from a certificate issued to expire in 10 days', async () => {
    const now = new Date();
    const ca = await generateCA('test', new Date(now.getTime() - (VALIDITY_DAYS - 10) * DAY_MS));
    const file = path.join(dir, 'ca.pem');
    fs.writeFileSync(file, ca.certPem);
    const e = certExpiry(file, now);
    assert.ok(e.daysLeft === 9 || e.daysLeft === 10, String(e.daysLeft));
    assert.match(expiryWarning(e) ?? '', /expires in (9|10) days/);
    // Forty days earlier on the certificate's own timeline, there is nothing to warn about.
    assert.equal(expiryWarning(certExpiry(file, new Date(now.getTime() - 40 * DAY_MS))), undefined);
    assert.match(expiryWarning(certExpiry(file, new Date(now.getTime() + 11 * DAY_MS))) ?? '', /expired on/);
    assert.match(caExpiryWarning(e) ?? '', /^the CA expires in (9|10) days \(\d{4}-\d{2}-\d{2}\): run "machine regenerate-certs --client-certs"$/);
  });

  it('names a missing certificate rather than throwing', () => {
    assert.deepEqual(certExpiry(path.join(dir, 'nope.pem')), { path: path.join(dir, 'nope.pem'), error: 'missing' });
    assert.equal(expiryWarning({ path: 'x', error: 'missing' }), undefined);
  });
});
