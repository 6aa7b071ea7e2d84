// test/run-all.sh's lanes, driven with MACHINE_TEST_ONLY and stand-in test
// files: the lanes run side by side with a run id and output prefix each,
// share the run's one npm registry, and a failure in any lane fails the run.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');

interface RunResult {
  code: number;
  /** stdout, then stderr. */
  output: string;
  stdout: string;
}

function runAll(env: Record<string, string>): Promise<RunResult> {
  // The outer run's settings must not leak into the run under test.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MACHINE_TEST_')));
  return new Promise((resolve) => {
    execFile('bash', [path.join(REPO, 'test', 'run-all.sh')], { cwd: REPO, env: { ...base, ...env }, timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: stdout + stderr, stdout });
    });
  });
}

describe('test/run-all.sh lanes', function () {
  this.timeout(300_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-test-lanes-'));
    // Each stand-in test prints what its lane gave it, as one line.
    const reporting = (name: string) =>
      `it('${name} reports its lane', () => console.log('${name}: ' + JSON.stringify({ run: process.env.MACHINE_TEST_RUN_ID, registry: process.env.MACHINE_TEST_NPM_REGISTRY ?? null, registryDir: process.env.MACHINE_TEST_NPM_REGISTRY_DIR ?? null })));\n`;
    fs.writeFileSync(path.join(dir, 'first.test.js'), reporting('first'));
    fs.writeFileSync(path.join(dir, 'second.test.js'), reporting('second'));
    fs.writeFileSync(path.join(dir, 'third.test.js'), reporting('third'));
    fs.writeFileSync(path.join(dir, 'fails.test.js'), `it('fails on purpose', () => { throw new Error('the stand-in failure'); });\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function reported(output: string, name: string): { lane: string; run: string; registry: string | null; registryDir: string | null } {
    const m = new RegExp(`^(\\[lane\\d\\] )?\\s*${name}: (\\{.*\\})$`, 'm').exec(output);
    assert.ok(m, `no report of ${name} in:\n${output}`);
    return { lane: (m[1] ?? '').trim(), ...(JSON.parse(m[2]) as { run: string; registry: string | null; registryDir: string | null }) };
  }

  it('runs lane 1 (unit, integration, conformance) and lane 2 (e2e) side by side, each with its own run id, one registry for both', async () => {
    const r = await runAll({ MACHINE_TEST_ONLY: `unit=${path.join(dir, 'first.test.js')} e2e=${path.join(dir, 'second.test.js')}` });
    assert.equal(r.code, 0, r.output);
    const first = reported(r.output, 'first');
    const second = reported(r.output, 'second');
    assert.equal(first.lane, '[lane1]');
    assert.equal(second.lane, '[lane2]');
    assert.match(first.run, /^run\d+-\d+-lane1$/);
    assert.equal(second.run, first.run.replace(/lane1$/, 'lane2'), 'one run, a run id per lane');
    // The registry is started before the lanes and handed to them, not started by the suite.
    assert.match(second.registry ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(first.registry, second.registry);
    assert.ok(second.registryDir && !fs.existsSync(second.registryDir), 'the registry\'s files are gone after the run');
    await assert.rejects(fetch(`${second.registry}/-/ping`), 'the registry stopped with the run');
    assert.match(r.output, /^\[lane1\] ==> unit tests$/m);
    assert.match(r.output, /^\[lane2\] ==> e2e tests \(the lane2 share\)$/m);
    assert.doesNotMatch(r.output, /^\[lane1\] ==> e2e tests/m, 'lane 1 has no e2e file of its own here');
    assert.match(r.output, /^tests: 2 passed, 0 failed$/m);
    assert.ok(r.stdout.trimEnd().endsWith('tests: 2 passed, 0 failed'), 'the closing line is last');
  });

  it('runs the e2e files named in MACHINE_TEST_E2E_LANE1 at the end of lane 1, every other e2e file in lane 2, each once', async () => {
    const e2e = ['second', 'third'].map((n) => path.join(dir, `${n}.test.js`)).join(',');
    const r = await runAll({ MACHINE_TEST_ONLY: `unit=${path.join(dir, 'first.test.js')} e2e=${e2e}`, MACHINE_TEST_E2E_LANE1: 'third' });
    assert.equal(r.code, 0, r.output);
    assert.equal(reported(r.output, 'second').lane, '[lane2]');
    const third = reported(r.output, 'third');
    assert.equal(third.lane, '[lane1]');
    assert.match(third.registry ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'lane 1\'s e2e share gets the run\'s registry too');
    const lane1 = r.output.split('\n').filter((l) => l.startsWith('[lane1] '));
    const unitAt = lane1.findIndex((l) => /==> unit tests$/.test(l));
    const e2eAt = lane1.findIndex((l) => /==> e2e tests \(the lane1 share\)$/.test(l));
    assert.ok(unitAt >= 0 && e2eAt > unitAt, `lane 1 runs its share of e2e after its own suites:\n${lane1.join('\n')}`);
    assert.equal(r.output.match(/third: /g)?.length, 1, 'each file runs in one lane only');
    assert.match(r.output, /^tests: 3 passed, 0 failed$/m);
  });

  it('fails the run when a suite fails, names the failure, and with MACHINE_TEST_LANES=1 runs in one unprefixed lane', async () => {
    const r = await runAll({ MACHINE_TEST_LANES: '1', MACHINE_TEST_ONLY: `unit=${path.join(dir, 'first.test.js')} conformance=${path.join(dir, 'fails.test.js')}` });
    assert.equal(r.code, 1, r.output);
    const first = reported(r.output, 'first');
    assert.equal(first.lane, '');
    assert.match(first.run, /^run\d+-\d+-lane1$/);
    assert.equal(first.registry, null, 'no registry without the e2e suite');
    assert.match(r.output, /^==> lane1 \(unit integration conformance e2e\) FAILED$/m);
    assert.match(r.output, /^1\) \[conformance\] fails on purpose$/m);
    assert.match(r.output, /the stand-in failure/);
    assert.ok(r.stdout.trimEnd().endsWith('tests: 1 passed, 1 failed'), r.output);
  });
});
