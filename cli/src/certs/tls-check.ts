// Talking to a machine's Docker daemon over TLS with the client certificate:
// the connection check env/config do first (node:tls), and GET /version for
// ls's DOCKER column and `version NAME` (HTTP over that TLS). Loaded on first use.
import type { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type * as HTTP from 'node:http';
import type * as TLS from 'node:tls';
import { MachineError } from '../errors';
import { fsProblem } from '../store/fs-problem';
import { verifyDaemonPeer } from './daemon-peer';
import { certificateOf } from './x509';

export interface TLSFiles {
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface DaemonTarget extends TLSFiles {
  /** tcp://host:port */
  url: string;
  timeoutMs?: number;
  /**
   * The certificate the daemon must present (PEM). Another of our machines
   * that later got the same IP also holds a certificate our CA signed for it;
   * only the exact certificate proves it is this machine.
   */
  expectCertPem?: string | Buffer;
}

export function parseDockerURL(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(url.trim());
  if (!m) throw new MachineError('tls', `"${url}" is not a tcp://host:port URL`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port: m[2] ? Number(m[2]) : 2376 };
}

function readTLSFile(what: string, p: string): Buffer {
  try {
    return fs.readFileSync(p);
  } catch (e) {
    throw new MachineError('tls', fsProblem(what, p, e));
  }
}

function loadTLS(): typeof TLS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:tls') as typeof TLS;
}

const secureContexts = new Map<string, TLS.SecureContext>();

/**
 * One TLS context per distinct client certificate and key, keyed by their
 * contents (so a file rewritten meanwhile gets a new one): ls connects to
 * every running machine, usually with the store's one client certificate.
 * `ca: []` keeps Node from loading or copying its root certificates into the
 * context; the daemon's certificate is verified by verifyDaemonPeer (see
 * daemon-peer.ts for why). Sessions are never reused: each connection makes a
 * full handshake and has its certificate checked.
 */
function secureContextFor(cert: Buffer, key: Buffer): TLS.SecureContext {
  const id = [cert, key].map((b) => b.toString('base64')).join(':');
  let context = secureContexts.get(id);
  if (!context) {
    context = loadTLS().createSecureContext({ ca: [], cert, key });
    secureContexts.set(id, context);
  }
  return context;
}

/** Undefined when the file holds no certificate: Node then trusted nothing, and the daemon's certificate fails as unknown. */
function caCertificateFor(pem: Buffer): X509Certificate | undefined {
  try {
    return certificateOf(pem);
  } catch {
    return undefined;
  }
}

interface DaemonConnection {
  options: TLS.ConnectionOptions & { host: string; port: number };
  /** Run on secureConnect, before anything is written: the failure, or undefined when the daemon is ours. */
  verify: (sock: TLS.TLSSocket) => Error | undefined;
}

/**
 * What every connection to a daemon verifies: a certificate our CA issued,
 * both within their validity, for the address we connect to and, when given,
 * the exact certificate.
 */
function daemonConnection(t: DaemonTarget): DaemonConnection {
  const { host, port } = parseDockerURL(t.url);
  const caPem = readTLSFile('the CA certificate', t.caPath);
  const ca = caCertificateFor(caPem);
  const expected = t.expectCertPem === undefined ? undefined : certificateOf(t.expectCertPem);
  const options = {
    host,
    port,
    secureContext: secureContextFor(readTLSFile('the client certificate', t.certPath), readTLSFile('the client key', t.keyPath)),
    // OpenSSL never knows our CA, so its verdict is always "unknown issuer"; verify() decides.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    // The daemon's certificate names the machine's IP; SNI with an IP is not allowed.
    servername: /^[\d.:]+$/.test(host) ? undefined : host,
    ALPNProtocols: ['http/1.1'],
  };
  const verify = (sock: TLS.TLSSocket): Error | undefined => {
    // Not getPeerX509Certificate(): in Node 20 it takes the certificate away from
    // the connection, and getPeerCertificate() answers {} afterwards. The
    // leaf alone, without its chain: the chain form costs about 0.7 ms of
    // CPU per connection here against 0.07, and ls makes one per machine.
    const leafDetails = sock.getPeerCertificate(false);
    if (!leafDetails?.raw) return Object.assign(new Error('the daemon presented no certificate'), { code: 'ERR_TLS_CERT_MISSING' });
    // The expected certificate is already parsed: the same bytes need no second parse.
    const leaf = expected?.raw.equals(leafDetails.raw) ? expected : certificateOf(leafDetails.raw);
    const problem = verifyDaemonPeer({
      leaf,
      presentedChain: () => presentedIssuers(sock.getPeerCertificate(true)),
      ca,
      host,
      leafDetails,
      checkServerIdentity: loadTLS().checkServerIdentity,
    });
    if (problem) return problem;
    if (expected !== undefined && leaf !== expected) {
      return new DaemonError('certificate', `the daemon at ${t.url} presented another machine's certificate (${describeSubject(leafDetails.subject)})`);
    }
    return undefined;
  };
  return { options, verify };
}

/** The certificates the daemon sent after its own, as Node links them (a self-signed one links to itself). */
function presentedIssuers(leaf: TLS.DetailedPeerCertificate): X509Certificate[] {
  const issuers: X509Certificate[] = [];
  let current = leaf;
  while (current.issuerCertificate && current.issuerCertificate !== current && issuers.length < 10) {
    current = current.issuerCertificate;
    issuers.push(certificateOf(current.raw));
  }
  return issuers;
}

/**
 * Opens a TLS connection to the daemon and calls `onVerified` with it once
 * the daemon's certificate passed verifyDaemonPeer; nothing is written
 * before. Failures go to `settle`.
 */
function connectVerified(
  t: DaemonTarget,
  settle: (err?: unknown) => void,
  onVerified: (sock: TLS.TLSSocket) => void,
): TLS.TLSSocket {
  const { options, verify } = daemonConnection(t);
  const sock = loadTLS().connect(options);
  sock.once('secureConnect', () => {
    const problem = verify(sock);
    if (problem) {
      sock.destroy();
      settle(problem);
      return;
    }
    // From here on, the connection's user reports its failures.
    sock.off('error', onError);
    onVerified(sock);
  });
  const onError = (e: Error): void => settle(e);
  sock.on('error', onError);
  return sock;
}

function describeSubject(subject: TLS.PeerCertificate['subject'] | undefined): string {
  if (!subject) return 'none';
  return Object.entries(subject)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}

export type TLSFailure = 'unreachable' | 'certificate' | 'timeout' | 'other';

export class DaemonError extends Error {
  readonly kind: TLSFailure;
  constructor(kind: TLSFailure, message: string) {
    super(message);
    this.name = 'DaemonError';
    this.kind = kind;
  }
}

function classify(e: NodeJS.ErrnoException): TLSFailure {
  const c = e.code ?? '';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(c)) return 'unreachable';
  if (c.startsWith('ERR_TLS_CERT') || c.includes('CERT') || c === 'DEPTH_ZERO_SELF_SIGNED_CERT' || c === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') return 'certificate';
  return 'other';
}

function asDaemonError(e: unknown): Error {
  if (e instanceof DaemonError || e instanceof MachineError) return e;
  const err = e as NodeJS.ErrnoException;
  // The errno or OpenSSL code travels on, for callers that word failures as Docker Machine did.
  return Object.assign(new DaemonError(classify(err), err.message), { code: err.code });
}

/**
 * Runs `attempt` (which opens one connection and settles through `settle`)
 * under the target's timeout. `abort` is called with the timeout's error and
 * must destroy the connection.
 */
function withTimeout<T>(
  t: DaemonTarget,
  attempt: (settle: (err?: unknown, value?: T) => void) => { abort: (err: DaemonError) => void },
): Promise<T> {
  const timeoutMs = t.timeoutMs ?? 20_000;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const settle = (err?: unknown, value?: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err !== undefined) reject(asDaemonError(err));
      else resolve(value as T);
    };
    let connection: { abort: (err: DaemonError) => void };
    try {
      connection = attempt(settle);
    } catch (e) {
      // Nothing was opened (unreadable certificate files, a bad URL).
      done = true;
      reject(e instanceof MachineError ? e : new DaemonError('other', (e as Error).message));
      return;
    }
    const timer = setTimeout(() => {
      const err = new DaemonError('timeout', `no answer from ${t.url} within ${Math.round(timeoutMs / 1000)} s`);
      settle(err);
      connection.abort(err);
    }, timeoutMs);
  });
}

/**
 * One HTTPS request on its own verified connection: node:http speaks HTTP
 * over a TLS socket we open (no agent, no session reuse, so every request
 * checks the certificate). node:http is loaded anyway; going through
 * node:https and an agent per request costs every `ls` several milliseconds.
 * Resolves with the status and body; rejects with DaemonError.
 */
export function daemonRequest(t: DaemonTarget, method: string, reqPath: string, jsonBody?: unknown): Promise<{ status: number; body: string }> {
  const payload = jsonBody === undefined ? undefined : Buffer.from(JSON.stringify(jsonBody));
  return withTimeout(t, (settle) => {
    // The request is made only on a verified connection, so nothing reaches a daemon that is not ours.
    const { host, port } = parseDockerURL(t.url);
    let abort: (err: DaemonError) => void;
    const sock = connectVerified(t, settle, (verified) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const http = require('node:http') as typeof HTTP;
      const req = http.request(
        {
          host,
          port,
          method,
          path: reqPath,
          headers: {
            'User-Agent': 'machine',
            Connection: 'close',
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
          },
          createConnection: () => verified,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => settle(e));
        },
      );
      req.on('error', (e) => settle(e));
      req.end(payload);
      abort = (err) => req.destroy(err);
    });
    abort = (err) => sock.destroy(err);
    return { abort: (err) => abort(err) };
  });
}

/** Only the TLS handshake: proves the daemon holds a certificate our CA signed for this address. */
export function checkTLS(t: DaemonTarget): Promise<void> {
  return withTimeout<void>(t, (settle) => {
    const sock = connectVerified(t, settle, (verified) => {
      settle();
      verified.destroy();
    });
    return { abort: () => sock.destroy() };
  });
}

/** The daemon's version string ("24.0.7"), from GET /version. */
export async function dockerVersion(t: DaemonTarget): Promise<string> {
  const r = await daemonRequest(t, 'GET', '/version');
  if (r.status !== 200) throw new DaemonError('other', `GET /version answered ${r.status}`);
  try {
    const v = (JSON.parse(r.body) as { Version?: unknown }).Version;
    if (typeof v === 'string') return v;
  } catch {
    // fall through
  }
  throw new DaemonError('other', 'GET /version did not return a version');
}
