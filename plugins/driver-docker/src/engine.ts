// Connecting to a Docker engine from a --docker-host value, and turning the
// engine's errors into messages that name the problem and the fix.
import type Dockerode from 'dockerode';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface EngineAddress {
  /** As the user gave it: unix:///var/run/docker.sock, tcp://10.0.0.2:2376. */
  host: string;
  /** Directory with ca.pem, cert.pem and key.pem for a TLS tcp:// engine. */
  certPath?: string;
}

export type ParsedHost =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; hostname: string; port: number };

/** Throws a plain Error with a user-facing message when the value is unusable. */
export function parseDockerHost(value: string): ParsedHost {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`"${value}" has no absolute socket path; use e.g. unix:///var/run/docker.sock`);
    return { kind: 'unix', socketPath };
  }
  if (value.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error(`"${value}" is not a valid address; use tcp://HOST:PORT`);
    }
    if (!url.hostname) throw new Error(`"${value}" has no host; use tcp://HOST:PORT`);
    if (url.pathname && url.pathname !== '/') throw new Error(`"${value}" has a path; use tcp://HOST:PORT`);
    const port = url.port ? Number(url.port) : 2375;
    return { kind: 'tcp', hostname: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  throw new Error(`"${value}" is not a supported engine address; use unix:///path/to/docker.sock or tcp://HOST:PORT`);
}

// docker-modem fills in any option we leave out from DOCKER_HOST,
// DOCKER_CERT_PATH and friends. After `eval $(machine env dev)` those point
// at a machine, not at the engine the user asked for, so they are hidden
// while the client is built.
const MODEM_ENV = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_PATH_PREFIX', 'DOCKER_CLIENT_TIMEOUT'];

function withoutDockerEnv<T>(fn: () => T): T {
  const saved = new Map<string, string | undefined>();
  for (const key of MODEM_ENV) {
    saved.set(key, process.env[key]);
    delete process.env[key];
  }
  try {
    return fn();
  } finally {
    for (const [key, value] of saved) if (value !== undefined) process.env[key] = value;
  }
}

export function connectEngine(address: EngineAddress): Dockerode {
  const parsed = parseDockerHost(address.host);
  // Loaded here so that importing this module stays cheap.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require('dockerode') as typeof Dockerode;
  const options: Dockerode.DockerOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  if (parsed.kind === 'unix') {
    options.socketPath = parsed.socketPath;
  } else {
    options.host = parsed.hostname;
    options.port = parsed.port;
    options.protocol = 'http';
    if (address.certPath) {
      options.protocol = 'https';
      const read = (file: string) => {
        try {
          return readFileSync(path.join(address.certPath as string, file));
        } catch (err) {
          throw new Error(`cannot read ${file} in ${address.certPath}: ${(err as Error).message}`);
        }
      };
      options.ca = read('ca.pem');
      options.cert = read('cert.pem');
      options.key = read('key.pem');
    }
  }
  return withoutDockerEnv(() => new Docker(options));
}

/** The shape of errors docker-modem produces. */
interface ModemError extends Error {
  statusCode?: number;
  reason?: string;
  code?: string;
  json?: { message?: string } | null;
}

export function engineStatus(err: unknown): number | undefined {
  return (err as ModemError | undefined)?.statusCode;
}

/** The engine's own message for an API error, else the error's text. */
export function engineMessage(err: unknown): string {
  const e = err as ModemError;
  const fromJson = e?.json && typeof e.json === 'object' ? e.json.message : undefined;
  if (fromJson) return fromJson;
  if (Buffer.isBuffer(e?.json)) {
    try {
      const parsed = JSON.parse(e.json.toString('utf8')) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      /* not JSON: fall through */
    }
  }
  return e instanceof Error ? e.message.replace(/^\(HTTP code \d+\)\s*/, '').trim() : String(err);
}

export function isNotFound(err: unknown): boolean {
  return engineStatus(err) === 404;
}

/** True when the error means the engine could not be reached at all. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as ModemError | undefined)?.code;
  return (
    code !== undefined &&
    ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ENOTSOCK'].includes(code)
  );
}
