/**
 * Docker contexts for machines, written into the Docker CLI's own context
 * store the way `docker context create` lays it out:
 *
 *   $DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json
 *   $DOCKER_CONFIG/contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem
 *   $DOCKER_CONFIG/config.json            "currentContext": name
 *
 * Writing the files rather than running `docker context create` keeps `use`
 * and `rm` working where the docker client is not installed (rm must never
 * fail because of a context) and avoids one docker process per call; the
 * format is checked against the real docker client in the e2e tests.
 */
import { crypto } from '../lazy-crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../store/atomic';

/** Every context machine makes carries this prefix, so a user's own contexts are never touched. */
export const CONTEXT_PREFIX = 'machine-';

export function contextNameFor(machine: string): string {
  return `${CONTEXT_PREFIX}${machine}`;
}

/** The machine a context belongs to, when machine made it. */
export function machineOfContext(context: string | undefined): string | undefined {
  return context?.startsWith(CONTEXT_PREFIX) ? context.slice(CONTEXT_PREFIX.length) : undefined;
}

/** The docker client's configuration directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return path.resolve(env.DOCKER_CONFIG);
  return path.join(env.HOME || os.homedir(), '.docker');
}

function contextId(name: string): string {
  return crypto().createHash('sha256').update(name).digest('hex');
}

export function contextMetaDir(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'meta', contextId(name));
}

export function contextTLSDir(configDir: string, name: string): string {
  return path.join(configDir, 'contexts', 'tls', contextId(name));
}

export interface ContextEndpoint {
  /** tcp://host:port of the daemon */
  host: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  description: string;
  /** The store the machine lives in: two stores may both hold a machine of the same name. */
  storePath: string;
}

interface ContextMeta {
  Name: string;
  /** The docker client keeps fields it does not know (MachineStorePath) as they are. */
  Metadata: { Description?: string; MachineStorePath?: string };
  Endpoints: { docker: { Host: string; SkipTLSVerify: boolean } };
}

/** Creates the context, or replaces its endpoint and TLS material. */
export function writeContext(configDir: string, name: string, endpoint: ContextEndpoint): void {
  const metaDir = contextMetaDir(configDir, name);
  const tlsDir = path.join(contextTLSDir(configDir, name), 'docker');
  fs.mkdirSync(metaDir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path.join(tlsDir, 'ca.pem'), endpoint.caPem, 0o644);
  writeFileAtomicSync(path.join(tlsDir, 'cert.pem'), endpoint.certPem, 0o644);
  writeFileAtomicSync(path.join(tlsDir, 'key.pem'), endpoint.keyPem, 0o600);
  const meta: ContextMeta = {
    Name: name,
    Metadata: { Description: endpoint.description, MachineStorePath: endpoint.storePath },
    Endpoints: { docker: { Host: endpoint.host, SkipTLSVerify: false } },
  };
  writeFileAtomicSync(path.join(metaDir, 'meta.json'), JSON.stringify(meta), 0o644);
}

export function contextExists(configDir: string, name: string): boolean {
  return fs.existsSync(path.join(contextMetaDir(configDir, name), 'meta.json'));
}

function readMeta(configDir: string, name: string): Partial<ContextMeta> | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(contextMetaDir(configDir, name), 'meta.json'), 'utf8')) as Partial<ContextMeta>;
  } catch {
    return undefined;
  }
}

/** The endpoint recorded for a context, or undefined when there is none. */
export function contextHost(configDir: string, name: string): string | undefined {
  return readMeta(configDir, name)?.Endpoints?.docker?.Host;
}

function readConfig(configDir: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(path.join(configDir, 'config.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  if (text.trim() === '') return {};
  const parsed = JSON.parse(text) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${path.join(configDir, 'config.json')} does not hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** The context the docker client uses when DOCKER_HOST and DOCKER_CONTEXT are unset. */
export function currentContext(configDir: string): string | undefined {
  const value = readConfig(configDir).currentContext;
  return typeof value === 'string' && value !== '' && value !== 'default' ? value : undefined;
}

/**
 * Makes `name` the docker client's current context, or goes back to the
 * default one when `name` is undefined. Everything else in config.json
 * (credentials helpers, auths, plugins) is kept as it was.
 */
export function setCurrentContext(configDir: string, name: string | undefined): void {
  const config = readConfig(configDir);
  if (name === undefined) delete config.currentContext;
  else config.currentContext = name;
  fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  // config.json may hold registry credentials: keep it private, as docker does.
  writeFileAtomicSync(path.join(configDir, 'config.json'), JSON.stringify(config, null, '\t') + '\n', 0o600);
}

/**
 * Removes a context and, when it was the current one, makes the default
 * context current again so the docker client is not left pointing at
 * nothing. Returns whether there was a context to remove.
 */
export function removeContext(configDir: string, name: string): boolean {
  const existed = contextExists(configDir, name);
  fs.rmSync(contextMetaDir(configDir, name), { recursive: true, force: true });
  fs.rmSync(contextTLSDir(configDir, name), { recursive: true, force: true });
  if (currentContext(configDir) === name) setCurrentContext(configDir, undefined);
  return existed;
}

/**
 * After `rm`: removes the machine's context when it was made from this
 * store. Returns the context removed, if any.
 */
export function forgetMachineContext(env: NodeJS.ProcessEnv, storePath: string, machine: string): string | undefined {
  const configDir = dockerConfigDir(env);
  const name = contextNameFor(machine);
  const meta = readMeta(configDir, name);
  if (!meta || meta.Metadata?.MachineStorePath !== path.resolve(storePath)) return undefined;
  removeContext(configDir, name);
  return name;
}

/**
 * The daemon URL the docker client talks to: DOCKER_HOST when set, else the
 * endpoint of DOCKER_CONTEXT or of the current context. '' for the default
 * context (or a context that cannot be read), which no machine matches.
 */
export function effectiveDockerHost(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  try {
    const configDir = dockerConfigDir(env);
    const context = env.DOCKER_CONTEXT || currentContext(configDir);
    if (!context || context === 'default') return '';
    return contextHost(configDir, context) ?? '';
  } catch {
    return '';
  }
}
