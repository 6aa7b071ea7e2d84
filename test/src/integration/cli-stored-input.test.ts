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
