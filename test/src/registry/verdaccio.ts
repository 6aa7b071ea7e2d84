// A real npm registry for the install tests: verdaccio on 127.0.0.1 with no
// uplinks, its storage in a temporary directory. The project's packages are
// published to it with `npm publish`, as a vendor or a release would; the
// third-party packages they depend on are mirrored into its storage from
// npm's own cache (the tarballs the workspace's package-lock.json pins), as a
// private registry mirrors what it needs, so nothing is fetched from outside.
import { fork } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run as runCommand, type Result as CommandResult } from '../support/run';

export { runCommand, type CommandResult };

/**
 * The environment for npm commands: `base` (the test process's own by
 * default) less whatever npm put there when it started the test runner (npx
 * sets npm_config_* and npm_* variables that would point a nested npm at this
 * workspace), plus `extra`.
 */
export function npmEnv(extra: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  [field: string]: unknown;
}

/** The file npm's cache (cacache) keeps for a sha512 integrity string. */
export function cachedTarball(npmCache: string, integrity: string): string | undefined {
  const sha512 = integrity.split(/\s+/).find((i) => i.startsWith('sha512-'));
  if (!sha512) return undefined;
  const hex = Buffer.from(sha512.slice('sha512-'.length), 'base64').toString('hex');
  const file = path.join(npmCache, '_cacache', 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return fs.existsSync(file) ? file : undefined;
}

/** Lock-file fields that describe where the package sat in this tree, not the package. */
const TREE_FIELDS = new Set(['resolved', 'integrity', 'link', 'dev', 'optional', 'devOptional', 'peer', 'inBundle', 'extraneous']);

/**
 * Writes, into verdaccio's storage (its local-storage layout: NAME/package.json
 * and NAME/FILE.tgz), every registry package the lock file pins whose tarball
 * is in npm's cache. Returns how many versions were mirrored.
 */
export function mirrorLockfile(storage: string, lockfile: string, npmCache: string): number {
  const lock = JSON.parse(fs.readFileSync(lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  const packuments = new Map<string, { versions: Record<string, Record<string, unknown>> }>();
  let count = 0;
  for (const [where, entry] of Object.entries(lock.packages)) {
    const at = where.lastIndexOf('node_modules/');
    if (at < 0 || entry.link || !entry.version || !entry.integrity) continue;
    // A git or file dependency is no registry package (the lock file omits the registry's own URLs).
    if (entry.resolved !== undefined && !entry.resolved.startsWith('http')) continue;
    const name = where.slice(at + 'node_modules/'.length);
    const doc = packuments.get(name) ?? { versions: {} };
    packuments.set(name, doc);
    if (doc.versions[entry.version]) continue;
    const cached = cachedTarball(npmCache, entry.integrity);
    if (!cached) continue;
    const dir = path.join(storage, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = `${name.split('/').pop()}-${entry.version}.tgz`;
    fs.symlinkSync(cached, path.join(dir, file));
    const manifest: Record<string, unknown> = { name };
    for (const [k, v] of Object.entries(entry)) if (!TREE_FIELDS.has(k)) manifest[k] = v;
    const shasum = crypto.createHash('sha1').update(fs.readFileSync(cached)).digest('hex');
    // verdaccio rewrites the host of dist.tarball to its own when it serves the document.
    manifest.dist = { tarball: `http://mirror.invalid/${name}/-/${file}`, integrity: entry.integrity, shasum };
    doc.versions[entry.version] = manifest;
    count++;
  }
  for (const [name, doc] of packuments) {
    const versions = Object.keys(doc.versions);
    if (!versions.length) continue;
    // Release versions compare numerically part by part; a range picks its own match, "latest" only matters for a bare name.
    const latest = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop() ?? versions[0];
    const packument = { name, versions: doc.versions, 'dist-tags': { latest }, time: {}, _uplinks: {}, _distfiles: {}, _attachments: {}, _rev: '1-mirror' };
    fs.writeFileSync(path.join(storage, name, 'package.json'), JSON.stringify(packument));
  }
  return count;
}

export interface Verdaccio {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** An npm user config holding a publish token for this registry. */
  readonly npmrc: string;
  readonly storage: string;
  /** `npm publish` of a tarball or a package directory (whose prepack script runs). */
  publish(target: string): Promise<void>;
  stop(): Promise<void>;
}

const SERVE = path.join(__dirname, 'serve.js');

/**
 * Starts verdaccio with its configuration and storage under `dir`, which
 * goes away when the registry stops; `mirror` fills the storage first.
 */
export async function startVerdaccio(dir: string, mirror?: { lockfile: string; npmCache: string }): Promise<Verdaccio> {
  const storage = path.join(dir, 'storage');
  fs.mkdirSync(storage, { recursive: true });
  if (mirror) mirrorLockfile(storage, mirror.lockfile, mirror.npmCache);
  const everyone = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
  const config = {
    storage,
    self_path: dir,
    // bcrypt's cheapest cost: the one account exists for a test run only.
    auth: { htpasswd: { file: path.join(dir, 'htpasswd'), max_users: 10, rounds: 4 } },
    uplinks: {},
    packages: { '@*/*': everyone, '**': everyone },
    max_body_size: '200mb',
    web: { enable: false },
    log: { type: 'stdout', format: 'json', level: 'warn' },
  };
  // JSON is YAML: verdaccio reads this as its config.yaml.
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const log = fs.openSync(path.join(dir, 'verdaccio.log'), 'a');
  const child = fork(SERVE, [configFile], { stdio: ['ignore', log, log, 'ipc'], env: npmEnv() });
  fs.closeSync(log);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verdaccio did not start within 60 s; see ${path.join(dir, 'verdaccio.log')}`)), 60_000);
    const exited = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`verdaccio exited with ${code} before it listened; see ${path.join(dir, 'verdaccio.log')}`));
    };
    child.once('exit', exited);
    child.once('message', (m: { port?: number }) => {
      clearTimeout(timer);
      child.off('exit', exited);
      if (typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`verdaccio sent ${JSON.stringify(m)}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.disconnect();
    });

  try {
    // A publisher account, as `npm adduser` makes one: verdaccio answers with a token.
    const password = crypto.randomBytes(12).toString('hex');
    const res = await fetch(`${url}/-/user/org.couchdb.user:publisher`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'publisher', password }),
    });
    const body = (await res.json()) as { token?: string };
    if (!res.ok || !body.token) throw new Error(`verdaccio refused the publisher account: ${res.status} ${JSON.stringify(body)}`);
    const npmrc = path.join(dir, 'publisher.npmrc');
    fs.writeFileSync(npmrc, `registry=${url}/\n//127.0.0.1:${port}/:_authToken=${body.token}\n`, { mode: 0o600 });
    return { ...connectVerdaccio(dir, url), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A registry that another process started with startVerdaccio (its `dir`
 * and `url`): publishes with the account that process made. `stop` does
 * nothing; the owner stops it.
 */
export function connectVerdaccio(dir: string, url: string): Verdaccio {
  const npmrc = path.join(dir, 'publisher.npmrc');
  const publish = async (target: string): Promise<void> => {
    const isDir = fs.statSync(target).isDirectory();
    const r = await runCommand('npm', ['publish', ...(isDir ? [] : [target])], {
      cwd: isDir ? target : dir,
      env: npmEnv({ npm_config_userconfig: npmrc, npm_config_registry: `${url}/`, npm_config_cache: path.join(dir, 'npm-cache') }),
    });
    if (r.code !== 0) throw new Error(`npm publish ${target} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  };
  return { url, npmrc, storage: path.join(dir, 'storage'), publish, stop: () => Promise.resolve() };
}

/** `npm pack` of a package directory into `dest`; returns the tarball's path. */
export async function npmPack(pkgDir: string, dest: string): Promise<string> {
  const r = await runCommand('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: pkgDir, env: npmEnv(), timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`npm pack in ${pkgDir} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return path.join(dest, r.stdout.trim().split('\n').pop() ?? '');
}
