// The CLI as one executable (dist/bin/machine-linux-x64 from `npm run
// package`), on a Debian 12 test host that has no Node at all: copied in,
// it creates a machine on another test host with the generic driver (which
// runs as the same executable in driver mode), then env, ls and rm.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startHost, testRunKey, type ExecResult, type TestHost } from '../hosts';
import { explain, run } from './generic-support';
import { ensurePackaged, SEA_CLI } from './sea-support';

function show(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

describe('the single-file CLI on a host without Node', function () {
  this.timeout(600_000);
  let client: TestHost;
  let target: TestHost;
  const binary = `/root/${path.basename(SEA_CLI)}`;
  const machine = (args: string): Promise<ExecResult> => client.exec(`cd /root && ./${path.basename(SEA_CLI)} ${args}`, { env: { HOME: '/root', SHELL: '/bin/bash' } });

  before(async () => {
    const packaged = ensurePackaged('cli');
    [client, target] = await Promise.all([startHost({ flavour: 'nodocker' }), startHost({ flavour: 'docker' })]);
    await packaged;
    for (const [from, to] of [
      [SEA_CLI, binary],
      [testRunKey().privateKeyPath, '/root/target-key'],
    ]) {
      const cp = await run('docker', ['cp', from, `${client.containerId}:${to}`]);
      assert.equal(cp.code, 0, explain(cp));
    }
    const own = await client.exec(`chown root:root ${binary} /root/target-key && chmod 600 /root/target-key`);
    assert.equal(own.code, 0, show(own));
  });

  after(async () => {
    await Promise.all([client?.remove(), target?.remove()]);
  });

  it('runs on a host that has no node', async () => {
    const node = await client.exec('command -v node nodejs; ls /usr/bin /usr/local/bin | grep -i node');
    assert.equal(node.stdout.trim(), '', `the client host must have no node: ${show(node)}`);
  });

  it('names the single-file build in machine version', async () => {
    const r = await machine('version');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout.trim(), /^machine version \d+\.\d+\.\d+, build [0-9a-z]+ \(sea\)$/, show(r));
  });

  it('creates a machine with the generic driver, then env, ls and rm', async () => {
    const create = await machine(
      `create -d generic --generic-ip-address ${target.ip} --generic-ssh-user root --generic-ssh-key /root/target-key sea-gen`,
    );
    assert.equal(create.code, 0, show(create));

    const env = await machine('env sea-gen');
    assert.equal(env.code, 0, show(env));
    assert.match(env.stdout, new RegExp(`export DOCKER_HOST="tcp://${target.ip.replace(/\./g, '\\.')}:2376"`), show(env));
    assert.match(env.stdout, /export DOCKER_CERT_PATH="\/root\/\.docker\/machine\/machines\/sea-gen"/, show(env));

    const ls = await machine('ls');
    assert.equal(ls.code, 0, show(ls));
    const row = ls.stdout.split('\n').find((l) => l.startsWith('sea-gen '));
    assert.ok(row, show(ls));
    assert.match(row, /\sgeneric\s+Running\s+tcp:\/\//, show(ls));

    // The engine answers over TLS with the machine's certificates: provisioning really happened.
    const version = await machine('version sea-gen');
    assert.equal(version.code, 0, show(version));
    assert.match(version.stdout.trim(), /^\d+\.\d+/, show(version));

    const rm = await machine('rm -y sea-gen');
    assert.equal(rm.code, 0, show(rm));
    const after = await machine('ls -q');
    assert.equal(after.stdout.trim(), '', show(after));
  });

  it('leaves no driver process behind', async () => {
    const ps = await client.exec(`ps -eo pid,args | grep -v grep | grep ${path.basename(SEA_CLI)} || true`);
    assert.equal(ps.stdout.trim(), '', show(ps));
  });
});

describe('the single-file CLI unpacking its tree', function () {
  this.timeout(600_000);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'sea-cache-'));
  const env = { ...process.env, MACHINE_SEA_CACHE: cache };

  before(() => ensurePackaged('cli'));
  after(() => fs.rmSync(cache, { recursive: true, force: true }));

  it('unpacks once, removes trees of other builds unused for 30 days and stale partial trees, keeps recent ones', async () => {
    const tree = (id: string, daysAgo: number) => {
      fs.mkdirSync(path.join(cache, id));
      const complete = path.join(cache, id, '.complete');
      fs.writeFileSync(complete, '');
      const t = new Date(Date.now() - daysAgo * 86_400_000);
      fs.utimesSync(complete, t, t);
    };
    tree('0123456789abcdef', 40);
    tree('fedcba9876543210', 3);
    fs.mkdirSync(path.join(cache, '.0123456789abcdef-x'));
    const t = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(path.join(cache, '.0123456789abcdef-x'), t, t);

    const first = await run(SEA_CLI, ['version'], { env });
    assert.equal(first.code, 0, explain(first));
    const left = fs.readdirSync(cache).sort();
    assert.equal(left.length, 2, `this build's tree and the recent one: ${left.join(', ')}`);
    assert.ok(left.includes('fedcba9876543210'));
    const own = left.find((n) => n !== 'fedcba9876543210')!;
    assert.ok(fs.existsSync(path.join(cache, own, 'cli', 'bin', 'run.js')));

    const marker = path.join(cache, own, '.complete');
    const before = fs.statSync(marker).ino;
    const second = await run(SEA_CLI, ['version'], { env });
    assert.equal(second.stdout, first.stdout);
    assert.equal(fs.statSync(marker).ino, before, 'the second run used the tree as it was');
  });

  it('runs in driver mode only the drivers of its own tree', async () => {
    const script = path.join(cache, 'elsewhere.js');
    fs.writeFileSync(script, "console.log('ran')\n");
    const r = await run(SEA_CLI, [], { env: { ...env, MACHINE_SEA_RUN: script } });
    assert.equal(r.code, 1, explain(r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /MACHINE_SEA_RUN=.*elsewhere\.js is not a driver of this build/);
  });
});
