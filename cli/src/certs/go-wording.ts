// Docker Machine is a Go program, and scripts grep its error texts: the
// engine checks of ls, env and config report a failure in the words Go's
// net/http and crypto/x509 use, not Node's. Node's errors carry their cause
// as an errno or OpenSSL code; the message is the fallback.

/** The code Node gave the failure: the error's `code`, else the first E-code in its message. */
function failureCode(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  const msg = err instanceof Error ? err.message : String(err);
  return /\b(E[A-Z]{4,}|ERR_[A-Z_]+|[A-Z]+(?:_[A-Z]+){2,})\b/.exec(msg)?.[1] ?? '';
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * The text Go's client would give for a failed connection to host:port,
 * e.g. "dial tcp 192.0.2.7:2376: connect: connection refused" or
 * "x509: certificate signed by unknown authority". Unknown failures keep
 * Node's message.
 */
export function goNetError(err: unknown, host: string, port: number): string {
  const msg = err instanceof Error ? err.message : String(err);
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const code = failureCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `dial tcp ${addr}: i/o timeout`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      // Node: "... IP: 1.2.3.4 is not in the cert's list: 5.6.7.8, 127.0.0.1"
      const list = /cert's list: (.*)$/.exec(msg)?.[1];
      return list ? `x509: certificate is valid for ${list}, not ${host}` : `x509: certificate is not valid for ${host}`;
    }
  }
  if (UNKNOWN_AUTHORITY.has(code)) return 'x509: certificate signed by unknown authority';
  if (/ALERT_BAD_CERTIFICATE|alert bad certificate/i.test(code + ' ' + msg)) return 'remote error: tls: bad certificate';
  if (/ALERT_UNKNOWN_CA|alert unknown ca/i.test(code + ' ' + msg)) return 'remote error: tls: unknown certificate authority';
  if (/no answer from .* within/.test(msg)) return `dial tcp ${addr}: i/o timeout`;
  return msg;
}

/** docker-machine's ls/version wording for a failed GET /version. */
export function dockerVersionError(err: unknown, host: string, port: number): string {
  return `Unable to query docker version: Get https://${host.includes(':') ? `[${host}]` : host}:${port}/v1.15/version: ${goNetError(err, host, port)}`;
}
