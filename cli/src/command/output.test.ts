import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const OUTPUT_JS = path.join(__dirname, 'output.js');

function run(script: string, shell: string): { status: number | null; stdout: string; stderr: string } {
  const node = JSON.stringify(process.execPath);
  const js = `const o = require(${JSON.stringify(OUTPUT_JS)}); ${script}`;
  const r = spawnSync('/bin/sh', ['-c', shell.replace('NODE', `${node} -e '${js}'`)], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('command output', () => {
  it('writes whole lines to stdout and stderr, in order', () => {
    const r = run('o.writeOut("a"); o.writeErr("b"); o.writeOut("c".repeat(200000));', 'NODE 2>&1');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, `a\nb\n${'c'.repeat(200000)}\n`);
  });

  it('drops output quietly once its reader has gone (machine ls | head -1)', () => {
    const r = run('for (let i = 0; i < 20000; i++) o.writeOut("line " + i); process.stderr.write("done\\n");', 'NODE | head -1');
    assert.equal(r.stdout, 'line 0\n');
    assert.equal(r.stderr, 'done\n');
  });
});
