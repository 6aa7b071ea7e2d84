import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addFakeMachine, sandbox, waitGone, type Sandbox } from './cli-support';

// A store may be crafted or imported: nothing read from it may run a program
// or turn into a raw system error.
describe('what the store holds is data, never a command (real CLI)', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  it('a config.json whose DriverName is a path never runs it: ls, inspect and status name the bad driver', async () => {
    const marker = path.join(sb.root, 'ran');
    const program = path.join(sb.root, 'machine-driver-evil');
    fs.writeFileSync(program, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    addFakeMachine(sb, 'ok', { ip: '127.0.0.1', power: 'Stopped' });
    for (const [name, driver] of [['abs', program], ['rel', '../drivers/machine-driver-fake'], ['dotted', '..']]) {
      addFakeMachine(sb, name, { driver });
    }
    const ls = await sb.run(['ls', '--format', '{{.Name}}|{{.DriverName}}|{{.State}}|{{.Error}}']);
    assert.equal(ls.code, 0, ls.stderr);
    const rows = ls.stdout.trim().split('\n');
    assert.deepEqual(rows, [
      `abs|${program}|Error|Invalid driver name ${JSON.stringify(program)}: a driver name is a plain name such as "generic", never a path.`,
      'dotted|..|Error|Invalid driver name "..": a driver name starts with a letter or a digit, then has up to 63 letters, digits, ".", "_" or "-".',
      'ok|fake|Stopped|',
      'rel|../drivers/machine-driver-fake|Error|Invalid driver name "../drivers/machine-driver-fake": a driver name is a plain name such as "generic", never a path.',
    ]);
    const status = await sb.run(['status', 'abs']);
    assert.deepEqual(status, {
      code: 1,
      stdout: '',
      stderr: `Invalid driver name ${JSON.stringify(program)}: a driver name is a plain name such as "generic", never a path.\n`,
    });
    const inspect = await sb.run(['inspect', 'abs']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal((JSON.parse(inspect.stdout) as { DriverName: string }).DriverName, program);
    for (const cmd of ['url', 'ip', 'stop', 'start']) await sb.run([cmd, 'abs']);
    assert.equal(fs.existsSync(marker), false, 'the program named in config.json was executed');
  });
});

describe('bad input to create: one clear line, before anything is made (real CLI)', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  const refused = async (args: string[], stderr: string): Promise<void> => {
    const r = await sb.run(['create', ...args]);
    assert.equal(r.stderr, stderr, `create ${args.join(' ')}`);
    assert.equal(r.code, 1, `create ${args.join(' ')}`);
    assert.deepEqual(sb.store.names(), [], `create ${args.join(' ')} left a machine behind`);
  };

  it('an engine value with a line break never reaches the daemon configuration', async () => {
    await refused(['-d', 'fake', '--engine-label', 'a=b\nExecStartPre=/bin/evil', 'x'], `Error: --engine-label "a=b\\nExecStartPre=/bin/evil" contains a line break; the daemon's configuration is line-based and cannot hold it\n`);
    await refused(['-d', 'fake', '--engine-env', 'A=1\r\nB=2', 'x'], `Error: --engine-env "A=1\\r\\nB=2" contains a line break; the daemon's configuration is line-based and cannot hold it\n`);
    await refused(['-d', 'fake', '--engine-opt', 'debug\n', 'x'], `Error: --engine-opt "debug\\n" contains a line break; the daemon's configuration is line-based and cannot hold it\n`);
    await refused(['-d', 'fake', '--engine-registry-mirror', 'https://m\u001b', 'x'], `Error: --engine-registry-mirror "https://m\\u001b" contains the control character "\\u001b"; the daemon's configuration is line-based and cannot hold it\n`);
  });

  it('a name longer than a hostname may be', async () => {
    const long = 'a'.repeat(64);
    await refused(['-d', 'fake', long], `Error creating machine: Invalid hostname specified. "${long}" is not a valid machine name: it is 64 characters long; a hostname has at most 63.\n`);
  });

  it('--generic-ip-address must be an IP address or a host name', async () => {
    const cases: [string, string][] = [
      ['999.1.1.1', 'it is not a valid IP address'],
      ['a b;c', 'it is neither an IP address nor a host name'],
      ['-oProxyCommand=x', 'it starts with "-"'],
    ];
    for (const [ip, why] of cases) {
      const r = await sb.run(['create', '-d', 'generic', '--generic-ip-address', ip, 'x']);
      assert.equal(r.code, 1, ip);
      assert.match(r.stderr, new RegExp(`^[^\\n]*--generic-ip-address "${ip.replace(/[.;]/g, '\\$&')}" is not an IP address or a host name: ${why}\\n`), ip);
      assert.deepEqual(sb.store.names(), [], ip);
    }
  });

  it("the none driver's --url must be tcp://HOST:PORT", async () => {
    const cases: [string, string][] = [
      ['tcp://192.0.2.1:99999', 'its port "99999" is not a number between 1 and 65535'],
      ['tcp://192.0.2.1', 'it has no port; it must look like tcp://HOST:PORT'],
      ['tcp://192.0.2.1:2376/v1', 'it has a path "/v1"; it must be just tcp://HOST:PORT'],
      ['http://192.0.2.1:2376', 'it must look like tcp://HOST:PORT'],
    ];
    for (const [url, why] of cases) {
      const r = await sb.run(['create', '-d', 'none', '--url', url, 'x']);
      assert.equal(r.code, 1, url);
      assert.ok(r.stderr.includes(`--url "${url}" is not a Docker engine address: ${why}\n`), r.stderr);
      assert.deepEqual(sb.store.names(), [], url);
    }
  });
});

describe('a damaged store: one clear line, and rm cleans it up (real CLI)', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  it('a store path that is a file', async () => {
    const file = path.join(sb.root, 'not-a-dir');
    fs.writeFileSync(file, '');
    const expected = (root: string): string => `Cannot use the machine store ${root}: ${file} is a file, not a directory. Point --storage-path (or MACHINE_STORAGE_PATH) at a directory.\n`;
    assert.deepEqual(await sb.run(['ls'], { MACHINE_STORAGE_PATH: file }), { code: 1, stdout: '', stderr: expected(file) });
    const sub = path.join(file, 'store');
    const create = await sb.run(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:2376', 'x'], { MACHINE_STORAGE_PATH: sub });
    assert.equal(create.code, 1);
    assert.equal(create.stderr.split('\n').filter((l) => /ENOTDIR|EEXIST/.test(l)).length, 0, create.stderr);
    assert.ok(create.stderr.endsWith(expected(sub)), create.stderr);
  });

  it('a ca.pem that is a directory is named as one', async () => {
    fs.mkdirSync(path.join(sb.store.root, 'certs', 'ca.pem'), { recursive: true });
    const create = await sb.run(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:2376', 'x']);
    assert.equal(create.code, 1);
    assert.ok(create.stderr.endsWith(`Cannot read the CA certificate ${path.join(sb.store.root, 'certs', 'ca.pem')}: it is a directory, not a file. Move it away and try again.\n`), create.stderr);
    assert.doesNotMatch(create.stderr, /does not exist/);
  });

  it('an id_rsa that is a directory gets no chmod advice', async () => {
    addFakeMachine(sb, 'dev');
    const key = path.join(sb.store.machineDir('dev'), 'id_rsa');
    fs.mkdirSync(key);
    const r = await sb.run(['ssh', 'dev', 'true']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: `Cannot use the SSH key ${key}: it is a directory, not a key file.\n` });
  });

  it('rm -y removes a machine directory with no config.json, and a directory whose name is invalid', async () => {
    fs.mkdirSync(sb.store.machineDir('empty'), { recursive: true });
    fs.mkdirSync(sb.store.machineDir('bad_name'), { recursive: true });
    const ls = await sb.run(['ls', '--format', '{{.Name}}|{{.Error}}']);
    assert.equal(
      ls.stdout,
      `bad_name|${sb.store.machineDir('bad_name')} is not a machine: it contains "_"; allowed characters are 0-9 a-z A-Z . -. Remove it with "machine rm bad_name".\n` +
        `empty|config.json is missing from ${sb.store.machineDir('empty')} (an interrupted create?). Remove the machine with "machine rm -f empty".\n`,
    );
    const again = await sb.run(['create', '-d', 'fake', 'empty']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'Docker machine "empty" already exists, with no config.json (an interrupted create?). Remove it with "machine rm -f empty" and try again.\n');
    const empty = await sb.run(['rm', '-y', 'empty']);
    // rm opens with the reference's two lines whatever its flags (see e2e/parity).
    const opening = (name: string): string => `About to remove ${name}\nWARNING: This action will delete both local reference and remote instance.\n`;
    assert.deepEqual(empty, { code: 0, stdout: `${opening('empty')}Successfully removed empty\n`, stderr: '"empty" has no config.json (an interrupted create?); removing its directory.\n' });
    const bad = await sb.run(['rm', '-y', 'bad_name']);
    assert.deepEqual(bad, { code: 0, stdout: `${opening('bad_name')}Successfully removed bad_name\n`, stderr: '' });
    assert.deepEqual(fs.readdirSync(path.join(sb.store.root, 'machines')), []);
    const outside = await sb.run(['rm', '-y', '..']);
    assert.equal(outside.code, 1);
    assert.ok(fs.existsSync(sb.store.root));
  });
});

describe('a machine whose SSH key is gone (real CLI)', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  it('provision fails at once, naming the file, instead of waiting for SSH', async () => {
    addFakeMachine(sb, 'dev', { ip: '127.0.0.1' });
    const key = path.join(sb.store.machineDir('dev'), 'id_rsa');
    assert.equal(fs.existsSync(key), false);
    const started = Date.now();
    const r = await sb.run(['provision', 'dev']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`The machine's SSH key ${key.replace(/[.]/g, '\\.')} is missing; without it the machine cannot be reached\\.`));
    assert.doesNotMatch(r.stdout, /Waiting for SSH/);
    assert.ok(Date.now() - started < 30_000, 'provision waited');
  });
});
