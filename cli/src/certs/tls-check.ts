// Talking to a machine's Docker daemon over TLS with the client certificate:
// the connection check env/config do first (node:tls), and GET /version for
// ls's DOCKER column and `version NAME` (HTTP over that TLS). Loaded on first use.
import * as fs from 'node:fs';
import type * as HTTP from 'node:http';
import type * as TLS from 'node:tls';
import { MachineError } from '../errors';
import { fsProblem } from '../store/fs-problem';

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
 * One TLS context per distinct CA, client certificate and key, keyed by their
 * contents (so a file rewritten meanwhile gets a new one). Node copies its
 * ~140 root certificates into every context it builds, milliseconds each,
 * and ls connects to every running machine, usually with the store's one CA
 * and client certificate. Sessions are never reused: each connection still
 * makes a full handshake and checks the daemon's certificate.
 */
function secureContextFor(ca: Buffer, cert: Buffer, key: Buffer): TLS.SecureContext {
  const id = [ca, cert, key].map((b) => b.toString('base64')).join(':');
  let context = secureContexts.get(id);
  if (!context) {
    context = loadTLS().createSecureContext({ ca, cert, key });
    secureContexts.set(id, context);
  }
  return context;
}

/**
 * What every connection to a daemon verifies: the chain up to the machine's
 * CA, the address in the certificate and, when given, the exact certificate.
 */
function tlsOptions(t: DaemonTarget): TLS.ConnectionOptions & { host: string; port: number } {
  const { host, port } = parseDockerURL(t.url);
  const expectFingerprint = t.expectCertPem === undefined ? undefined : fingerprint256(t.expectCertPem);
  return {
    host,
    port,
    secureContext: secureContextFor(
      readTLSFile('the CA certificate', t.caPath),
      readTLSFile('the client certificate', t.certPath),
      readTLSFile('the client key', t.keyPath),
    ),
    // The daemon's certificate names the machine's IP; SNI with an IP is not allowed.
    servername: /^[\d.:]+$/.test(host) ? undefined : host,
    ALPNProtocols: ['http/1.1'],
    // Called once the chain is verified; an Error here ends the handshake with it.
    checkServerIdentity: (hostname, cert) => {
      const wrongName = loadTLS().checkServerIdentity(hostname, cert);
      if (wrongName) return wrongName;
      if (expectFingerprint !== undefined && cert.fingerprint256 !== expectFingerprint) {
        return new DaemonError('certificate', `the daemon at ${t.url} presented another machine's certificate (${describeSubject(cert.subject)})`);
      }
      return undefined;
    },
  };
}

function fingerprint256(pem: string | Buffer): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { X509Certificate } = require('node:crypto') as typeof import('node:crypto');
  return new X509Certificate(pem).fingerprint256;
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
    const options = tlsOptions(t);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const http = require('node:http') as typeof HTTP;
    const req = http.request(
      {
        host: options.host,
        port: options.port,
        method,
        path: reqPath,
        headers: {
          'User-Agent': 'machine',
          Connection: 'close',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
        },
        createConnection: () => loadTLS().connect(options),
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
    return { abort: (err) => req.destroy(err) };
  });
}

/** Only the TLS handshake: proves the daemon holds a certificate our CA signed for this address. */
export function checkTLS(t: DaemonTarget): Promise<void> {
  return withTimeout<void>(t, (settle) => {
    const sock = loadTLS().connect(tlsOptions(t), () => {
      settle();
      sock.destroy();
    });
    sock.on('error', (e) => settle(e));
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
