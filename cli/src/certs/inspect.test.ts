import { strict as assert } from 'node:assert';
import { parseSubjectAltName, sansCover } from './inspect';

describe('certificate SANs', () => {
  // As Node's X509Certificate.subjectAltName renders them: IPv6 fully expanded.
  const sans = parseSubjectAltName('DNS:localhost, DNS:*.example.test, IP Address:10.0.0.5, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:0:2');

  it('keeps IPv4 addresses as written and puts IPv6 ones in canonical form', () => {
    assert.deepEqual(sans.ips, ['10.0.0.5', '::1', 'fd00::2']);
    assert.deepEqual(sans.dns, ['localhost', '*.example.test']);
  });

  it('matches an IP in any spelling of it, and only as an IP', () => {
    assert.equal(sansCover(sans, '10.0.0.5'), true);
    assert.equal(sansCover(sans, '10.0.0.6'), false);
    assert.equal(sansCover(sans, '::1'), true);
    assert.equal(sansCover(sans, '0:0::1'), true);
    assert.equal(sansCover(sans, 'FD00::2'), true);
    assert.equal(sansCover(sans, 'fd00::3'), false);
  });

  it('matches DNS names case-insensitively, with a wildcard for one label only', () => {
    assert.equal(sansCover(sans, 'LocalHost'), true);
    assert.equal(sansCover(sans, 'a.example.test'), true);
    assert.equal(sansCover(sans, 'a.b.example.test'), false);
    // Not an address, so not compared with the IP list.
    assert.equal(sansCover(sans, 'fd00:zz::2'), false);
    // Not dotted quads, so names: no IP SAN covers them.
    for (const name of ['10.0.0.256', '10.0.0', '010.0.0.5', '10.0.0.5.', '1.2.3.4.example']) assert.equal(sansCover(sans, name), false, name);
  });
});
