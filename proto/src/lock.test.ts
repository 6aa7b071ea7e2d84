import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandNameFromArgv, holderPath, lockFile, tryLockFile } from './lock';
import { isProcessAlive } from './process-alive';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-lock-'));
}

describe('lockFile (proper-lockfile with a live-holder check)', () => {
  it('records the pid and the command name only, and a release removes only its own lock', async () => {
    const dir = tmp();
    const file = path.join(dir, 'm.lock');
    const release = await lockFile(file, { waitMs: 0, command: 'create' });
    const record = JSON.parse(fs.readFileSync(holderPath(file), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record).sort(), ['command', 'host', 'pid', 'since']);
    assert.equal(record.pid, process.pid);
    assert.equal(record.command, 'create');
    // Someone else's record now (as after a takeover): our release must leave it.
    const other = { pid: 1, host: os.hostname(), command: 'rm', since: 'later' };
    fs.writeFileSync(holderPath(file), JSON.stringify(other));
    release();
    assert.deepEqual(JSON.parse(fs.readFileSync(holderPath(file), 'utf8')), other);
    assert.ok(fs.statSync(file).isDirectory(), 'the new holder keeps its lock');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('never breaks the lock of a live holder, even with an old mtime; takes over a dead holder at once', async () => {
    const dir = tmp();
    const file = path.join(dir, 'm.lock');
    const release = await lockFile(file, { waitMs: 0 });
    const past = new Date(Date.now() - 24 * 3600_000);
    fs.utimesSync(file, past, past);
    const busy = tryLockFile(file);
    assert.equal(typeof busy, 'object');
    assert.equal((busy as { holder?: { pid: number } }).holder?.pid, process.pid);
    release();

    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const pid = child.pid as number;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.mkdirSync(file);
    fs.writeFileSync(holderPath(file), JSON.stringify({ pid, host: os.hostname(), command: 'create', since: 'x' }));
    const taken = tryLockFile(file);
    assert.equal(typeof taken, 'function');
    (taken as () => void)();
    assert.deepEqual(fs.readdirSync(dir), []);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the command from argv without flag values', () => {
    assert.equal(commandNameFromArgv(['--storage-path', '/s', 'create', '-d', 'amazonec2', '--amazonec2-secret-key', 'abc', 'x']), 'create');
    assert.equal(commandNameFromArgv(['-s', '/s', 'rm', '-f', 'x']), 'rm');
  });
});

describe('isProcessAlive', () => {
  it('is true for this process, false for a reaped one and for nonsense', async () => {
    assert.equal(isProcessAlive(process.pid), true);
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.once('exit', r));
    assert.equal(isProcessAlive(child.pid as number), false);
    assert.equal(isProcessAlive(0), false);
    assert.equal(isProcessAlive(-1), false);
  });
});
