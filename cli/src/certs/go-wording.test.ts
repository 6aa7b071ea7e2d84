import { strict as assert } from 'node:assert';
import { dockerVersionError, goNetError } from './go-wording';

const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe("engine failures in Go's words", () => {
  it('names refused, unreachable and timed-out connections as Go does', () => {
    assert.equal(goNetError(errno('ECONNREFUSED', 'connect ECONNREFUSED 192.0.2.7:2376'), '192.0.2.7', 2376), 'dial tcp 192.0.2.7:2376: connect: connection refused');
    assert.equal(goNetError(new Error('connect EHOSTUNREACH 192.0.2.7:2376'), '192.0.2.7', 2376), 'dial tcp 192.0.2.7:2376: connect: no route to host');
    assert.equal(goNetError(new Error('no answer from tcp://192.0.2.7:2376 within 3 s'), '192.0.2.7', 2376), 'dial tcp 192.0.2.7:2376: i/o timeout');
    assert.equal(goNetError(errno('ECONNREFUSED', 'x'), '2001:db8::1', 2376), 'dial tcp [2001:db8::1]:2376: connect: connection refused');
  });

  it("maps OpenSSL's certificate failures to crypto/x509's texts", () => {
    assert.equal(goNetError(errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'h', 1), 'x509: certificate signed by unknown authority');
    assert.equal(goNetError(errno('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'h', 1), 'x509: certificate signed by unknown authority');
    assert.equal(
      goNetError(errno('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: IP: 192.0.2.9 is not in the cert's list: 192.0.2.7, 127.0.0.1"), '192.0.2.9', 2376),
      'x509: certificate is valid for 192.0.2.7, 127.0.0.1, not 192.0.2.9',
    );
    assert.equal(goNetError(errno('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'sslv3 alert bad certificate'), 'h', 1), 'remote error: tls: bad certificate');
    assert.equal(goNetError(errno('CERT_HAS_EXPIRED', 'certificate has expired'), 'h', 1), 'x509: certificate has expired or is not yet valid');
  });

  it('keeps a message it does not know', () => {
    assert.equal(goNetError(new Error('GET /version answered 500'), 'h', 1), 'GET /version answered 500');
  });

  it("words a failed version query as docker-machine's ls does", () => {
    assert.equal(
      dockerVersionError(errno('ECONNREFUSED', 'connect ECONNREFUSED 192.0.2.7:2376'), '192.0.2.7', 2376),
      'Unable to query docker version: Get https://192.0.2.7:2376/v1.15/version: dial tcp 192.0.2.7:2376: connect: connection refused',
    );
  });
});
