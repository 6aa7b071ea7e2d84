// The test run's npm registry: one verdaccio per test process, started by the
// first test that needs it and stopped by the root hook
// (test/lib/registry/root-hooks.js) when the run ends. Its URL is put in
// MACHINE_TEST_NPM_REGISTRY for the tests and the processes they start.
// Each workspace package is packed and published at most once per run.
//
// When MACHINE_TEST_NPM_REGISTRY and MACHINE_TEST_NPM_REGISTRY_DIR are set
// before the process starts (test/run-all.sh starts one registry for all its
// suites with test/lib/registry/run-registry.js), that registry is used
// instead and left running: its owner stops it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectVerdaccio, npmEnv, npmPack, runCommand, startVerdaccio, type Verdaccio } from './verdaccio';

export { connectVerdaccio, npmEnv, npmPack, runCommand, startVerdaccio, mirrorLockfile, type Verdaccio, type CommandResult } from './verdaccio';

export const REGISTRY_ENV = 'MACHINE_TEST_NPM_REGISTRY';
/** The directory of a registry started by another process (its config, storage and publisher account). */
export const REGISTRY_DIR_ENV = 'MACHINE_TEST_NPM_REGISTRY_DIR';
export const REPO = path.resolve(__dirname, '../../..');

let registry: Promise<{ verdaccio: Verdaccio; dir: string; shared: boolean }> | undefined;

/** The registry this process was handed, if any (read once, before this process sets REGISTRY_ENV itself). */
const sharedRegistry = ((): { url: string; dir: string } | undefined => {
  const url = process.env[REGISTRY_ENV];
  const dir = process.env[REGISTRY_DIR_ENV];
  return url && dir && fs.existsSync(path.join(dir, 'publisher.npmrc')) ? { url, dir } : undefined;
})();
const published = new Map<string, Promise<PublishedPackage>>();

export interface PublishedPackage {
  name: string;
  version: string;
}

async function npmCacheDir(): Promise<string> {
  const r = await runCommand('npm', ['config', 'get', 'cache'], { env: npmEnv() });
  if (r.code !== 0) throw new Error(`npm config get cache failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The run's registry, started on first use. */
export async function npmRegistry(): Promise<Verdaccio> {
  registry ??= (async () => {
    if (sharedRegistry) return { verdaccio: connectVerdaccio(sharedRegistry.dir, sharedRegistry.url), dir: sharedRegistry.dir, shared: true };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-test-registry-'));
    const verdaccio = await startVerdaccio(dir, { lockfile: path.join(REPO, 'package-lock.json'), npmCache: await npmCacheDir() });
    process.env[REGISTRY_ENV] = verdaccio.url;
    return { verdaccio, dir, shared: false };
  })();
  return (await registry).verdaccio;
}

/** Stops the registry, if this process started one, and removes its storage; a shared one is only let go. */
export async function stopNpmRegistry(): Promise<void> {
  const started = registry;
  registry = undefined;
  published.clear();
  if (!started) return;
  const { verdaccio, dir, shared } = await started;
  if (shared) return;
  await verdaccio.stop();
  delete process.env[REGISTRY_ENV];
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Packs a package of this repository (a directory relative to its root, such
 * as "proto" or "plugins/driver-digitalocean") as `npm pack` makes it and
 * publishes the tarball to the run's registry, once.
 */
export function publishWorkspacePackage(relDir: string): Promise<PublishedPackage> {
  let p = published.get(relDir);
  if (!p) {
    p = (async () => {
      const verdaccio = await npmRegistry();
      const pkgDir = path.join(REPO, relDir);
      const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as PublishedPackage;
      // A shared registry may have it from another process of the run (the same checkout, so the same package).
      if (await isPublished(verdaccio.url, manifest)) return { name: manifest.name, version: manifest.version };
      const packs = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-test-pack-'));
      try {
        await verdaccio.publish(await npmPack(pkgDir, packs));
      } finally {
        fs.rmSync(packs, { recursive: true, force: true });
      }
      return { name: manifest.name, version: manifest.version };
    })();
    published.set(relDir, p);
  }
  return p;
}

async function isPublished(url: string, pkg: PublishedPackage): Promise<boolean> {
  const res = await fetch(`${url}/${pkg.name.replace('/', '%2f')}`);
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(`the registry answered ${res.status} for ${pkg.name}`);
  const packument = (await res.json()) as { versions?: Record<string, unknown> };
  return packument.versions?.[pkg.version] !== undefined;
}

/** What a user's shell needs to install from the run's registry, as `npm_config_registry`. */
export async function registryEnv(): Promise<NodeJS.ProcessEnv> {
  const verdaccio = await npmRegistry();
  return { npm_config_registry: `${verdaccio.url}/` };
}
