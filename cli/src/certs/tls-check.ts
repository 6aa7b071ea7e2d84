// Talking to a machine's Docker daemon over TLS with the client certificate:
// the connection check env/config do first, and GET /version for ls's
// DOCKER column and `version NAME`. Only node:tls, loaded on first use.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type * as TLS from 'node:tls';
import { MachineError } from '../errors';
import { hostPort } from '../format/address';
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

function tlsOptions(t: DaemonTarget): TLS.ConnectionOptions {
  const { host, port } = parseDockerURL(t.url);
  return {
    host,
    port,
    ca: readTLSFile('the CA certificate', t.caPath),
    cert: readTLSFile('the client certificate', t.certPath),
    key: readTLSFile('the client key', t.keyPath),
    // The daemon's certificate names the machine's IP; SNI with an IP is not allowed.
    servername: /^[\d.:]+$/.test(host) ? undefined : host,
    ALPNProtocols: ['http/1.1'],
  };
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

type Finish<T> = (err?: Error, value?: T) => void;

/**
 * Opens a TLS connection verified against the machine's CA (and, when
 * given, its exact certificate), and settles once `use` calls finish, or on
 * an error or the timeout. The socket is always destroyed at the end.
 */
function withVerifiedConnection<T>(t: DaemonTarget, use: (sock: TLS.TLSSocket, finish: Finish<T>) => void): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tls = require('node:tls') as typeof TLS;
  const timeoutMs = t.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    let opts: TLS.ConnectionOptions;
    try {
      opts = tlsOptions(t);
    } catch (e) {
      reject(e instanceof MachineError ? e : new DaemonError('other', (e as Error).message));
      return;
    }
    let done = false;
    const finish: Finish<T> = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    const sock = tls.connect(opts, () => {
      if (t.expectCertPem !== undefined) {
        const got = sock.getPeerX509Certificate();
        const want = new crypto.X509Certificate(t.expectCertPem);
        if (!got || got.fingerprint256 !== want.fingerprint256) {
          finish(new DaemonError('certificate', `the daemon at ${t.url} presented another machine's certificate (${got?.subject.replace(/\n/g, ', ') ?? 'none'})`));
          return;
        }
      }
      use(sock, finish);
    });
    const timer = setTimeout(() => finish(new DaemonError('timeout', `no answer from ${t.url} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    // The errno or OpenSSL code travels on, for callers that word failures as Docker Machine did.
    sock.on('error', (e: NodeJS.ErrnoException) => finish(Object.assign(new DaemonError(classify(e), e.message), { code: e.code })));
  });
}

/**
 * One HTTPS request over a verified TLS connection. Resolves with the status
 * and body; rejects with DaemonError.
 */
export function daemonRequest(t: DaemonTarget, method: string, reqPath: string): Promise<{ status: number; body: string }> {
  return withVerifiedConnection(t, (sock, finish) => {
    const { host, port } = parseDockerURL(t.url);
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sep = raw.indexOf('\r\n\r\n');
      const head = sep >= 0 ? raw.slice(0, sep) : raw;
      let body = sep >= 0 ? raw.slice(sep + 4) : '';
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!m) {
        finish(new DaemonError('other', `unexpected answer from ${host}:${port}`));
        return;
      }
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = dechunk(body);
      finish(undefined, { status: Number(m[1]), body });
    });
    sock.on('close', () => finish(new DaemonError('unreachable', `connection to ${host}:${port} closed`)));
    sock.write(`${method} ${reqPath} HTTP/1.1\r\nHost: ${hostPort(host, port)}\r\nUser-Agent: machine\r\nConnection: close\r\n\r\n`);
  });
}

function dechunk(s: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const nl = s.indexOf('\r\n', i);
    if (nl < 0) break;
    const size = parseInt(s.slice(i, nl), 16);
    if (!size) break;
    out += s.slice(nl + 2, nl + 2 + size);
    i = nl + 2 + size + 2;
  }
  return out;
}

/** Only the TLS handshake: proves the daemon holds a certificate our CA signed for this address. */
export function checkTLS(t: DaemonTarget): Promise<void> {
  return withVerifiedConnection<void>(t, (_sock, finish) => finish());
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
