// The standalone driver executables of `npm run package` (Node single-
// executable applications), driven through the real CLI: the conformance
// kit passes against each binary, the amazonec2 binary reaches a (local)
// EC2 endpoint with the AWS code it loads lazily, and `machine driver
// install` records a binary's SHA-256 and refuses it once it was changed.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeEc2, ec2Fault, type FakeEc2 } from '../fakes/ec2';
import { ACCESS_KEY, SECRET_KEY, cleanAwsEnv } from '../fakes/ec2/harness';
import { CLI, explain, run, Sandbox, type Result } from './generic-support';
import { ensurePackaged, DIST_BIN, ROOT, SEA_DRIVERS } from './sea-support';

describe('standalone driver binaries (npm run package)', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  const dataDir = path.join(sb.dir, 'data');
  const machine = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> => sb.cli(args, { env: { MACHINE_DATA_DIR: dataDir, ...env } });

  before(async () => {
    await ensurePackaged('drivers');
  });
  after(() => sb.cleanup());

  it('builds one executable per bundled driver', () => {
    for (const name of SEA_DRIVERS) {
      const file = path.join(DIST_BIN, `machine-driver-${name}`);
      const st = fs.statSync(file);
      assert.ok(st.mode & 0o100, `${file} is executable`);
      // A node with its script inside: tens of megabytes, never a small wrapper.
      assert.ok(st.size > 30 * 1024 * 1024, `${file} is a whole executable (${st.size} bytes)`);
      assert.ok(!fs.readFileSync(file).subarray(0, 2).equals(Buffer.from('#!')), `${file} is not a script`);
    }
  });

  it('rebuilds nothing when run again on an unchanged tree', async () => {
    const r = await run(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), '--only', 'drivers'], { cwd: ROOT });
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(r.stdout.trim().split('\n').sort(), SEA_DRIVERS.map((n) => `dist/bin/machine-driver-${n} (unchanged)`).sort(), explain(r));
  });

  for (const name of SEA_DRIVERS) {
    it(`machine driver test passes against the ${name} binary`, async () => {
      const file = path.join(DIST_BIN, `machine-driver-${name}`);
      const r = await machine(['driver', 'test', file]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`driver conformance: ${name} \\(`), explain(r));
      assert.match(r.stdout, /\d+ passing/, explain(r));
      assert.doesNotMatch(r.stdout, /\d+ failing/, explain(r));
    });
  }

  describe('the amazonec2 binary against a local EC2 endpoint', () => {
    let fake: FakeEc2;
    let driverDir: string;
    before(async () => {
      fake = await startFakeEc2();
      // The binary under the name discovery looks for, found first through MACHINE_DRIVER_PATH.
      driverDir = path.join(sb.dir, 'ec2-bin');
      fs.mkdirSync(driverDir);
      fs.symlinkSync(path.join(DIST_BIN, 'machine-driver-amazonec2'), path.join(driverDir, 'machine-driver-amazonec2'));
    });
    after(async () => {
      await fake?.close();
    });

    it('makes its AWS calls from inside the executable, and rolls back on an EC2 error', async () => {
      fake.faults.inject(ec2Fault('InsufficientInstanceCapacity'), { operation: 'RunInstances', times: Infinity });
      const home = path.join(sb.dir, 'home');
      fs.mkdirSync(home, { recursive: true });
      const env = cleanAwsEnv(home, { ...sb.env({ MACHINE_DATA_DIR: dataDir }), MACHINE_DRIVER_PATH: driverDir, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY });
      const r = await run(process.execPath, [CLI, 'create', '-d', 'amazonec2', '--amazonec2-endpoint', fake.url, '--amazonec2-retries', '0', 'sea-ec2'], { env });
      assert.notEqual(r.code, 0, explain(r));
      assert.doesNotMatch(r.stderr, /No such built-in module/, explain(r));
      assert.match(r.stderr, /capacity/, explain(r));
      const actions = fake.actions();
      assert.ok(actions.some((a) => /RunInstances/.test(a)), `the binary called RunInstances: ${actions.join(', ')}`);
      assert.ok(actions.some((a) => /ImportKeyPair/.test(a)), `and made its key pair first: ${actions.join(', ')}`);
      for (let n = 0; n < 100 && fake.keyPairs.size > 0; n++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(fake.keyPairs.size, 0, 'the rollback deleted the key pair, through the same binary');
      assert.equal(fake.liveInstances().length, 0);
    });
  });

  describe('machine driver install and driver rm', () => {
    const installed = path.join(dataDir, 'drivers', 'machine-driver-none');
    const create = (name: string) => machine(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:2376', name]);

    it('installs the binary under the name the driver reports, with its SHA-256 beside it', async () => {
      // Any file name: the driver says what it is.
      const download = path.join(sb.dir, 'none-linux-x64');
      fs.copyFileSync(path.join(DIST_BIN, 'machine-driver-none'), download);
      fs.chmodSync(download, 0o755);
      const r = await machine(['driver', 'install', download]);
      assert.equal(r.code, 0, explain(r));
      const digest = (await run('sha256sum', [download])).stdout.split(/\s+/)[0];
      assert.match(r.stdout, new RegExp(`Installed driver "none" at ${installed} \\(sha256 ${digest}\\)`), explain(r));
      assert.ok(fs.statSync(installed).mode & 0o100);
      const check = await run('sha256sum', ['-c', 'machine-driver-none.sha256'], { cwd: path.dirname(installed) });
      assert.equal(check.code, 0, `the recorded digest is in sha256sum's format: ${explain(check)}`);
    });

    it('lists it first among the drivers named none, and uses it', async () => {
      const ls = await machine(['driver', 'ls', '--json']);
      assert.equal(ls.code, 0, explain(ls));
      const rows = JSON.parse(ls.stdout) as { name: string; source: string; path: string; shadowedBy?: string }[];
      const none = rows.filter((d) => d.name === 'none');
      assert.equal(none[0].source, 'installed');
      assert.equal(none[0].path, installed);
      assert.ok(none.slice(1).every((d) => d.shadowedBy === installed), 'the bundled none is shadowed');
      // A driver file changed in the last 2 s is hashed but not remembered (installed.ts, RACY_MS).
      await new Promise((res) => setTimeout(res, 2100));
      const r = await create('sea-none');
      assert.equal(r.code, 0, explain(r));
      // The launch checked the file and remembered it; the tampering below must get past that.
      assert.ok(fs.existsSync(path.join(dataDir, 'drivers', '.machine-driver-none.verified')));
      assert.equal((await machine(['url', 'sea-none'])).stdout.trim(), 'tcp://127.0.0.1:2376');
    });

    it('refuses to install over it without --force, and a file that is no driver', async () => {
      const again = await machine(['driver', 'install', path.join(DIST_BIN, 'machine-driver-none')]);
      assert.equal(again.code, 1, explain(again));
      assert.match(again.stderr, /already installed.*--force/, explain(again));
      const notDriver = await machine(['driver', 'install', '/bin/true']);
      assert.equal(notDriver.code, 1, explain(notDriver));
      assert.match(notDriver.stderr, /\/bin\/true is not a working machine driver/, explain(notDriver));
      assert.ok(!fs.existsSync(path.join(dataDir, 'drivers', 'machine-driver-true')));
    });

    it('refuses a tampered binary with one line naming the problem and the fix, even with its old timestamps', async () => {
      const before = fs.statSync(installed);
      const fd = fs.openSync(installed, 'r+');
      // One byte changed in the middle of the executable, its size kept.
      const middle = Math.floor(before.size / 2);
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, middle);
      byte[0] ^= 0xff;
      fs.writeSync(fd, byte, 0, 1, middle);
      fs.closeSync(fd);
      fs.utimesSync(installed, before.atime, before.mtime);

      for (const args of [['create', '-d', 'none', '--url', 'tcp://127.0.0.1:2377', 'sea-none-2'], ['driver', 'inspect', 'none'], ['rm', '-y', 'sea-none']]) {
        const r = await machine(args);
        assert.equal(r.code, 1, `machine ${args.join(' ')}: ${explain(r)}`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, `one line: ${explain(r)}`);
        assert.match(lines[0], /Driver "none" refused: .*machine-driver-none does not match the SHA-256 recorded when it was installed/);
        assert.match(lines[0], /machine driver install FILE --force.*machine driver rm none/);
      }
      assert.deepEqual(sb.machines(), ['sea-none'], 'nothing was created, nothing removed');
    });

    it('refuses a binary whose recorded digest is gone', async () => {
      fs.copyFileSync(path.join(DIST_BIN, 'machine-driver-none'), installed);
      fs.renameSync(`${installed}.sha256`, `${installed}.sha256.moved`);
      try {
        const r = await machine(['driver', 'inspect', 'none']);
        assert.equal(r.code, 1, explain(r));
        assert.match(r.stderr, /Driver "none" refused: .* has no SHA-256 recorded in machine-driver-none\.sha256/, explain(r));
      } finally {
        fs.renameSync(`${installed}.sha256.moved`, `${installed}.sha256`);
      }
    });

    it('--force reinstalls it, and driver rm removes it and its digest', async () => {
      const reinstall = await machine(['driver', 'install', '--force', path.join(DIST_BIN, 'machine-driver-none')]);
      assert.equal(reinstall.code, 0, explain(reinstall));
      const rmMachine = await machine(['rm', '-y', 'sea-none']);
      assert.equal(rmMachine.code, 0, explain(rmMachine));

      const r = await machine(['driver', 'rm', 'none']);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, /Removed driver "none"/);
      assert.ok(!fs.existsSync(installed) && !fs.existsSync(`${installed}.sha256`));
      const rows = JSON.parse((await machine(['driver', 'ls', '--json'])).stdout) as { name: string; source: string }[];
      assert.match(rows.find((d) => d.name === 'none')?.source ?? '', /^bundled/, 'the bundled none is back in front');

      const again = await machine(['driver', 'rm', 'none']);
      assert.equal(again.code, 1, explain(again));
      assert.match(again.stderr, /Driver "none" is not installed in .*drivers/, explain(again));
    });
  });
});
