// A read-only npm registry on 127.0.0.1 for install tests: it serves the
// packages the workspace's package-lock.json pins, from the tarballs npm
// already holds in its cache (looked up by their integrity), plus the
// project's own packed tarballs. Nothing goes past loopback and no registry
// package has to be installed; npm only needs packuments and tarballs.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

interface LockEntry {
  version?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  bin?: Record<string, string> | string;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  hasInstallScript?: boolean;
}

interface Version {
  manifest: Record<string, unknown>;
  /** Where the tarball's bytes are. */
  file: string;
}

export interface LocalTarball {
  file: string;
  manifest: Record<string, unknown>;
}

/** The file npm's cache (cacache) keeps for a sha512 integrity string. */
export function cachedTarball(cacheDir: string, integrity: string): string | undefined {
  const sha512 = integrity.split(/\s+/).find((i) => i.startsWith('sha512-'));
  if (!sha512) return undefined;
  const hex = Buffer.from(sha512.slice('sha512-'.length), 'base64').toString('hex');
  const file = path.join(cacheDir, '_cacache', 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return fs.existsSync(file) ? file : undefined;
}

function integrityOf(file: string): string {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

export class LocalNpmRegistry {
  private readonly packages = new Map<string, Map<string, Version>>();
  private server: http.Server | undefined;
  url = '';

  /** Every registry package the lockfile pins whose tarball is in npm's cache. */
  addFromLockfile(lockfile: string, npmCacheDir: string): void {
    const lock = JSON.parse(fs.readFileSync(lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
    for (const [where, entry] of Object.entries(lock.packages)) {
      const at = where.lastIndexOf('node_modules/');
      if (at < 0 || entry.link || !entry.version || !entry.integrity) continue;
      const file = cachedTarball(npmCacheDir, entry.integrity);
      if (!file) continue;
      const name = where.slice(at + 'node_modules/'.length);
      const { version, integrity, link: _link, ...rest } = entry;
      void _link;
      this.add(name, version, { name, version, ...rest, _integrity: integrity }, file);
    }
  }

  addTarball(t: LocalTarball): void {
    const name = String(t.manifest.name);
    const version = String(t.manifest.version);
    this.add(name, version, { ...t.manifest, _integrity: integrityOf(t.file) }, t.file);
  }

  private add(name: string, version: string, manifest: Record<string, unknown>, file: string): void {
    let versions = this.packages.get(name);
    if (!versions) this.packages.set(name, (versions = new Map()));
    versions.set(version, { manifest, file });
  }

  private packument(name: string): Record<string, unknown> | undefined {
    const versions = this.packages.get(name);
    if (!versions) return undefined;
    const out: Record<string, unknown> = {};
    let latest = '';
    for (const [version, v] of versions) {
      const { _integrity, ...manifest } = v.manifest;
      out[version] = { ...manifest, dist: { tarball: `${this.url}/-/tarball/${encodeURIComponent(name)}/${version}.tgz`, integrity: _integrity } };
      latest = version;
    }
    return { name, 'dist-tags': { latest }, versions: out };
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
      const tarball = /^\/-\/tarball\/(.+)\/([^/]+)\.tgz$/.exec(url);
      if (tarball) {
        const v = this.packages.get(tarball[1])?.get(tarball[2]);
        if (!v) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        fs.createReadStream(v.file).pipe(res);
        return;
      }
      const doc = this.packument(url.slice(1));
      if (!doc) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
