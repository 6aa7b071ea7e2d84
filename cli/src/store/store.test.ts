import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store } from './store';
import { defaultAuthOptions, newHostConfig, serializeHost } from './host';
import { tryLock } from './lock';
import { writeFileAtomicSync } from './atomic';
import { homeDirectory } from './paths';

const madeStores: string[] = [];
function tmpStore(): Store {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-test-'));
  madeStores.push(root);
  return new Store(root);
}
after(() => {
  for (const root of madeStores) fs.rmSync(root, { recursive: true, force: true });
});

describe('Store', () => {
  it('writes ConfigVersion 3 with the reference key order, 4-space indent, 0600/0700', () => {
    const s = tmpStore();
    s.save(newHostConfig({ storeRoot: s.root, name: 'dev', driverName: 'generic', driverState: { IPAddress: '1.2.3.4' } }));
    const text = fs.readFileSync(s.configPath('dev'), 'utf8');
    const obj = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(obj), ['ConfigVersion', 'Driver', 'DriverName', 'HostOptions', 'Name']);
    const ho = obj.HostOptions as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(ho), ['Driver', 'Memory', 'Disk', 'EngineOptions', 'SwarmOptions', 'AuthOptions']);
    assert.ok('Dns' in ho.EngineOptions && 'TlsVerify' in ho.EngineOptions);
    assert.equal(ho.AuthOptions.StorePath, path.join(s.root, 'machines', 'dev'));
    assert.match(text, /^\{\n {4}"ConfigVersion": 3,/);
    assert.equal(fs.statSync(s.configPath('dev')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(s.machineDir('dev')).mode & 0o777, 0o700);
  });

  it('round-trips a record byte for byte', () => {
    const s = tmpStore();
    s.save(newHostConfig({ storeRoot: s.root, name: 'a', driverName: 'none', driverState: { URL: 'tcp://x:1<2>&' } }));
    const before = fs.readFileSync(s.configPath('a'), 'utf8');
    assert.match(before, /\\u003c2\\u003e\\u0026/);
    assert.equal(serializeHost(s.load('a')), before);
  });

  it('reads the reference fixture store as is', () => {
    const fixture = path.resolve(__dirname, '..', '..', 'src', 'store', 'testdata', 'reference-store');
    const s = new Store(fixture);
    const entries = s.list();
    assert.deepEqual(entries.map((e) => e.name), ['dev']);
    const h = entries[0].host;
    assert.ok(h);
    assert.equal(h.DriverName, 'virtualbox');
    assert.equal(h.Driver.IPAddress, '192.168.99.100');
    assert.equal(h.HostOptions.EngineOptions.InstallURL, 'https://get.docker.com');
    // Re-serialised, the reference's file comes out byte for byte.
    assert.equal(serializeHost(h), fs.readFileSync(s.configPath('dev'), 'utf8').trimEnd());
  });

  it('migrates ConfigVersion 0..2 and keeps config.json.bak', () => {
    const s = tmpStore();
    fs.mkdirSync(s.machineDir('old'), { recursive: true });
    const v0 = {
      Name: 'old',
      DriverName: 'virtualbox',
      Driver: { MachineName: 'old', IPAddress: '10.0.0.2' },
      StorePath: s.machineDir('old'),
      CaCertPath: '/c/ca.pem',
      PrivateKeyPath: '/c/ca-key.pem',
      ServerCertPath: '/m/server.pem',
      ServerKeyPath: '/m/server-key.pem',
      ClientCertPath: '/c/cert.pem',
      ClientKeyPath: '/c/key.pem',
      SwarmMaster: true,
      SwarmHost: 'tcp://0.0.0.0:3376',
      SwarmDiscovery: 'token://x',
    };
    fs.writeFileSync(s.configPath('old'), JSON.stringify(v0));
    const h = s.load('old');
    assert.equal(h.ConfigVersion, 3);
    assert.equal(h.HostOptions.AuthOptions.CaPrivateKeyPath, '/c/ca-key.pem');
    assert.equal(h.HostOptions.AuthOptions.CertDir, path.join(s.root, 'certs'));
    assert.equal(h.HostOptions.SwarmOptions.Master, true);
    assert.equal(h.HostOptions.SwarmOptions.Discovery, 'token://x');
    assert.equal(h.Driver.StorePath, s.root);
    assert.equal(fs.readFileSync(`${s.configPath('old')}.bak`, 'utf8'), JSON.stringify(v0));
    assert.equal((JSON.parse(fs.readFileSync(s.configPath('old'), 'utf8')) as { ConfigVersion: number }).ConfigVersion, 3);
  });

  it('persists a migration only under the machine lock', async () => {
    const s = tmpStore();
    fs.mkdirSync(s.machineDir('v2'), { recursive: true });
    const v2 = JSON.stringify({ ConfigVersion: 2, Name: 'v2', DriverName: 'none', Driver: { URL: 'tcp://x:2376' }, HostOptions: {} });
    fs.writeFileSync(s.configPath('v2'), v2);
    const other = new Store(s.root);
    const release = await other.lock('v2');
    assert.equal(s.load('v2').ConfigVersion, 3, 'migrated in memory');
    assert.equal(fs.readFileSync(s.configPath('v2'), 'utf8'), v2, 'not written while another holder has the lock');
    release();
    await s.update('v2', (h) => {
      h.Driver.URL = 'tcp://y:2376';
    });
    assert.equal(fs.readFileSync(`${s.configPath('v2')}.bak`, 'utf8'), v2);
    const after = JSON.parse(fs.readFileSync(s.configPath('v2'), 'utf8')) as { ConfigVersion: number; Driver: { URL: string; StorePath: string } };
    assert.equal(after.ConfigVersion, 3);
    assert.equal(after.Driver.URL, 'tcp://y:2376');
    assert.equal(after.Driver.StorePath, s.root);
  });

  it('refuses a config version from the future', () => {
    const s = tmpStore();
    fs.mkdirSync(s.machineDir('new'), { recursive: true });
    fs.writeFileSync(s.configPath('new'), JSON.stringify({ ConfigVersion: 4, Name: 'new' }));
    assert.throws(() => s.load('new'), /from the future/);
  });

  it('lists every machine, corrupt ones as errors', () => {
    const s = tmpStore();
    s.save(newHostConfig({ storeRoot: s.root, name: 'good', driverName: 'none' }));
    fs.mkdirSync(s.machineDir('bad'));
    fs.writeFileSync(s.configPath('bad'), '{"ConfigVersion": 3,');
    fs.mkdirSync(s.machineDir('empty'));
    fs.mkdirSync(s.machineDir('.hidden'));
    const l = s.list();
    assert.deepEqual(l.map((e) => e.name), ['bad', 'empty', 'good']);
    assert.match(String(l[0].error?.message), /not valid JSON/);
    assert.match(String(l[1].error?.message), /config.json is missing/);
    assert.ok(l[2].host);
  });

  it('claim refuses invalid names with the rule and existing machines', () => {
    const s = tmpStore();
    assert.throws(() => s.claim('-x'), /must start with a letter or a digit/);
    assert.throws(() => s.claim('a_b'), /contains "_"/);
    s.claim('ok.name-1');
    assert.throws(() => s.claim('ok.name-1'), /already exists/);
  });

  it('atomic write leaves no temporary file and replaces content', () => {
    const s = tmpStore();
    const f = path.join(s.root, 'x.json');
    writeFileAtomicSync(f, 'one');
    writeFileAtomicSync(f, 'two');
    assert.equal(fs.readFileSync(f, 'utf8'), 'two');
    assert.deepEqual(fs.readdirSync(s.root), ['x.json']);
  });

  it('atomic write gives exactly the mode asked for, whatever the umask and the mode of the file it replaces', () => {
    const s = tmpStore();
    const f = path.join(s.root, 'key.pem');
    const umask = process.umask(0o077);
    try {
      writeFileAtomicSync(f, 'public', 0o644);
      assert.equal(fs.statSync(f).mode & 0o777, 0o644);
    } finally {
      process.umask(umask);
    }
    fs.chmodSync(f, 0o666);
    writeFileAtomicSync(f, 'secret');
    assert.equal(fs.statSync(f).mode & 0o777, 0o600, 'the default mode is 0600');
    assert.equal(fs.readFileSync(f, 'utf8'), 'secret');
    assert.deepEqual(fs.readdirSync(s.root), ['key.pem']);
  });

  it('atomic write leaves the old content and no temporary file when the rename fails', () => {
    const s = tmpStore();
    const target = path.join(s.root, 'occupied');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'kept');
    assert.throws(() => writeFileAtomicSync(target, 'new'));
    assert.deepEqual(fs.readdirSync(s.root), ['occupied']);
    assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');
  });
});

describe('machine locks', () => {
  it('excludes a second taker and breaks a stale lock', async () => {
    const s = tmpStore();
    const release = await s.lock('m', { waitMs: 0 });
    await assert.rejects(s.lock('m', { waitMs: 100 }), /is busy: process \d+/);
    release();
    const again = await s.lock('m', { waitMs: 0 });
    again();
    // A lock left by a process that no longer runs.
    fs.writeFileSync(s.lockPath('m'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: 'x', command: '' }));
    const r = tryLock(s.lockPath('m'));
    assert.equal(typeof r, 'function');
    (r as () => void)();
    assert.equal(fs.existsSync(s.lockPath('m')), false);
  });

  it('serialises concurrent updates of one machine', async () => {
    const s = tmpStore();
    s.save(newHostConfig({ storeRoot: s.root, name: 'c', driverName: 'none', driverState: { n: 0 } }));
    await Promise.all(
      Array.from({ length: 20 }, () =>
        s.update('c', (h) => {
          h.Driver.n = (h.Driver.n as number) + 1;
        }),
      ),
    );
    assert.equal(s.load('c').Driver.n, 20);
  });
});

describe('store across processes', function () {
  this.timeout(60_000);
  it('parallel writers in separate processes: no lost update on one machine, no interference between machines', async () => {
    const { spawn } = await import('node:child_process');
    const s = tmpStore();
    for (const n of ['shared', 'a', 'b', 'c']) s.save(newHostConfig({ storeRoot: s.root, name: n, driverName: 'none', driverState: { n: 0 } }));
    const script = `
      const { Store } = require(${JSON.stringify(path.join(__dirname, 'store.js'))});
      const s = new Store(process.argv[1]);
      (async () => {
        for (let i = 0; i < 10; i++) {
          await s.update('shared', (h) => { h.Driver.n += 1; });
          await s.update(process.argv[2], (h) => { h.Driver.n += 1; });
        }
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const codes = await Promise.all(
      ['a', 'b', 'c'].map(
        (own) =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, ['-e', script, s.root, own], { stdio: ['ignore', 'ignore', 'inherit'] });
            child.on('exit', resolve);
          }),
      ),
    );
    assert.deepEqual(codes, [0, 0, 0]);
    assert.equal(s.load('shared').Driver.n, 30);
    for (const n of ['a', 'b', 'c']) assert.equal(s.load(n).Driver.n, 10);
    assert.deepEqual(fs.readdirSync(path.join(s.root, 'locks')), []);
  });
});

describe('homeDirectory', () => {
  const saved = process.env.HOME;
  afterEach(() => {
    if (saved === undefined) delete process.env.HOME;
    else process.env.HOME = saved;
  });

  it('answers as os.homedir() does: HOME as it is, even empty, and the password database when HOME is unset', () => {
    for (const home of ['/x/y/', '']) {
      process.env.HOME = home;
      assert.equal(homeDirectory(), home);
      assert.equal(homeDirectory(), os.homedir());
    }
    delete process.env.HOME;
    assert.equal(homeDirectory(), os.homedir());
    assert.ok(path.isAbsolute(homeDirectory()));
  });
});

describe('defaultAuthOptions', () => {
  it('names the same files path.join would, for any store root', () => {
    for (const root of ['/', '/home/u/.docker/machine', '/a/./b/../c/', 'relative/store', '.', '']) {
      const o = defaultAuthOptions(root, 'box');
      const certs = path.join(root, 'certs');
      const dir = path.join(root, 'machines', 'box');
      assert.deepEqual(
        [o.CertDir, o.CaCertPath, o.CaPrivateKeyPath, o.ClientKeyPath, o.ClientCertPath, o.ServerCertPath, o.ServerKeyPath, o.StorePath],
        [certs, path.join(certs, 'ca.pem'), path.join(certs, 'ca-key.pem'), path.join(certs, 'key.pem'), path.join(certs, 'cert.pem'), path.join(dir, 'server.pem'), path.join(dir, 'server-key.pem'), dir],
        root,
      );
    }
  });
});
