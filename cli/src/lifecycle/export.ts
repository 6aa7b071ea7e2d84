/**
 * export / import: one machine as a portable .tar.gz.
 *
 * The archive holds machine/ (the machine directory, with the CA, client
 * certificate and key the machine's daemon trusts copied in as ca.pem,
 * cert.pem and key.pem) and machine-export.json. Paths in config.json are
 * stored relative, as {{machineDir}} and {{storePath}} prefixes, and
 * rewritten into the importing store. The CA's private key is never
 * exported: it could issue certificates for every machine of the store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tar from 'tar';
import { MachineError } from '../errors';
import { machineNameProblem } from '../names';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';

const FORMAT = 'machine-export/1';
const MACHINE_DIR = '{{machineDir}}';
const STORE_PATH = '{{storePath}}';

interface ExportManifest {
  format: string;
  name: string;
}

/** Replaces path prefixes in every string of a JSON value. */
function rewriteStrings(value: unknown, rewrite: (s: string) => string): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) return value.map((v) => rewriteStrings(v, rewrite));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteStrings(v, rewrite)]));
  }
  return value;
}

function replacePrefix(s: string, from: string, to: string): string {
  if (s === from) return to;
  if (s.startsWith(from + path.sep) || s.startsWith(from + '/')) return to + '/' + s.slice(from.length + 1).split(path.sep).join('/');
  return s;
}

export async function exportMachine(store: Store, name: string, outFile: string): Promise<void> {
  const host = store.load(name);
  const machineDir = store.machineDir(name);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-export-'));
  try {
    const dest = path.join(staging, 'machine');
    fs.mkdirSync(dest, { mode: 0o700 });
    for (const ent of fs.readdirSync(machineDir, { withFileTypes: true })) {
      // Temporary and backup files are the store's own business.
      if (!ent.isFile() || ent.name.includes('.tmp') || ent.name === 'config.json') continue;
      fs.copyFileSync(path.join(machineDir, ent.name), path.join(dest, ent.name));
    }
    const auth = host.HostOptions.AuthOptions;
    fs.copyFileSync(auth.CaCertPath, path.join(dest, 'ca.pem'));
    fs.copyFileSync(auth.ClientCertPath, path.join(dest, 'cert.pem'));
    fs.copyFileSync(auth.ClientKeyPath, path.join(dest, 'key.pem'));
    const portable = JSON.parse(JSON.stringify(host)) as HostConfig;
    const pa = portable.HostOptions.AuthOptions;
    pa.CaCertPath = path.join(machineDir, 'ca.pem');
    pa.ClientCertPath = path.join(machineDir, 'cert.pem');
    pa.ClientKeyPath = path.join(machineDir, 'key.pem');
    pa.CaPrivateKeyPath = '';
    const relative = rewriteStrings(portable, (s) => replacePrefix(replacePrefix(s, machineDir, MACHINE_DIR), store.root, STORE_PATH));
    fs.writeFileSync(path.join(dest, 'config.json'), JSON.stringify(relative, null, 2), { mode: 0o600 });
    const manifest: ExportManifest = { format: FORMAT, name };
    fs.writeFileSync(path.join(staging, 'machine-export.json'), JSON.stringify(manifest) + '\n');
    const tmp = `${path.resolve(outFile)}.tmp-${process.pid}`;
    await tar.create({ gzip: true, file: tmp, cwd: staging, portable: true }, ['machine-export.json', 'machine']);
    fs.renameSync(tmp, outFile);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Private keys stay private whatever the archive says. */
function modeFor(file: string): number {
  return /(^id_|key)/.test(file) && !file.endsWith('.pub') ? 0o600 : 0o644;
}

export async function importMachine(store: Store, archive: string): Promise<string> {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-import-'));
  try {
    // tar refuses absolute paths and '..' entries by default; links have no place in an export.
    await tar.extract({ file: archive, cwd: staging, strict: true, filter: (_p, entry) => !('type' in entry) || entry.type === 'File' || entry.type === 'Directory' });
    let manifest: ExportManifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(staging, 'machine-export.json'), 'utf8')) as ExportManifest;
    } catch {
      throw new MachineError('usage', `Error: ${archive} is not a machine export (no machine-export.json)`);
    }
    if (manifest.format !== FORMAT) throw new MachineError('usage', `Error: ${archive} is in format "${manifest.format}", this machine reads "${FORMAT}"`);
    const name = manifest.name;
    const nameProblem = machineNameProblem(name);
    if (nameProblem) throw new MachineError('invalid-name', `Invalid machine name "${name}": ${nameProblem}.`);
    if (store.exists(name)) throw new MachineError('already-exists', `Error: machine "${name}" already exists in ${store.root}; remove it first or import into another store`);
    const src = path.join(staging, 'machine');
    const text = fs.readFileSync(path.join(src, 'config.json'), 'utf8');
    store.claim(name);
    const machineDir = store.machineDir(name);
    try {
      for (const file of fs.readdirSync(src)) {
        if (file === 'config.json') continue;
        const to = path.join(machineDir, file);
        fs.copyFileSync(path.join(src, file), to);
        fs.chmodSync(to, modeFor(file));
      }
      const host = rewriteStrings(JSON.parse(text) as unknown, (s) =>
        replacePrefix(replacePrefix(s, MACHINE_DIR, machineDir), STORE_PATH, store.root),
      ) as HostConfig;
      host.Name = name;
      store.save(host);
    } catch (err) {
      store.remove(name);
      throw err;
    }
    return name;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
