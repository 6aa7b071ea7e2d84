import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const MOCHA = require.resolve('mocha/bin/mocha.js');

// The kit as a driver author runs it: plain mocha, no --exit, no timeout.
describe('the conformance kit in a plain mocha run', function () {
  this.timeout(180_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-run-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('passes an instant Create, lets a long lifecycle finish, ends by itself and leaves nothing behind', async () => {
    const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [MOCHA, '--no-config', '--timeout', '0', path.join(__dirname, 'kit-runs', 'kit-spec.js')], {
        cwd: root,
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /a cancelled Create ends with CANCELLED/);
    assert.match(result.out, /creates, reports, stops, starts, restarts, kills and removes a machine/);
    assert.deepEqual(fs.readdirSync(tmp), [], 'temporary directories or sockets left behind');
  });
});
