import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, runNode } from './cli-support';

const STAMP_JS = path.join(path.dirname(CLI), 'build-stamp.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildInfoStamp, stampOf } = require(STAMP_JS) as {
  buildInfoStamp: (buf: Buffer) => string;
  stampOf: (file: string) => Record<string, string>;
};

// bin/run.js runs what npm run build made and nothing else: a copy of it in
// a tree of our own shows what it does when that tree was not built, or was
// compiled again after the build, without touching the real checkout.
describe('bin/run.js and the build', function () {
  this.timeout(60_000);
  let root: string;
  let runJs: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-build-'));
    fs.mkdirSync(path.join(root, 'bin'));
    fs.mkdirSync(path.join(root, 'lib'));
    runJs = path.join(root, 'bin', 'run.js');
    fs.copyFileSync(CLI, runJs);
    fs.copyFileSync(STAMP_JS, path.join(root, 'bin', 'build-stamp.js'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function writeBuild(buildInfo: string, stampedAs: string): void {
    fs.writeFileSync(path.join(root, 'lib', '.tsbuildinfo'), buildInfo);
    const tsBuildInfo = buildInfoStamp(Buffer.from(stampedAs));
    fs.writeFileSync(path.join(root, 'lib', 'build.json'), JSON.stringify({ commit: 'test', tsBuildInfo }));
  }

  it('a tree that was never built says to run npm run build', async () => {
    const r = await runNode([runJs, 'ls'], process.env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /not built; run npm run build/);
  });

  it('a tree compiled again after the build says so, instead of running stale code', async () => {
    writeBuild('{"program":"after"}', '{"program":"before"}');
    const r = await runNode([runJs, 'ls'], process.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /compiled again after the last build; run npm run build/);
  });

  it('a built tree starts the drivers it can guess, then runs its bundle', async () => {
    writeBuild('{"program":"same"}', '{"program":"same"}');
    fs.writeFileSync(path.join(root, 'lib', 'prelaunch.js'), 'exports.prelaunch = (argv) => process.stdout.write("prelaunch: " + argv.join(" ") + "\\n");\n');
    fs.writeFileSync(
      path.join(root, 'lib', 'fast-bundle.js'),
      'exports.runFast = async (argv) => { process.stdout.write("bundle ran: " + argv.join(" ") + "\\n"); return 0; };\n',
    );
    const r = await runNode([runJs, 'ls', '-q'], process.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'prelaunch: ls -q\nbundle ran: ls -q\n');
    // Benchmarks compare with and without it.
    const off = await runNode([runJs, 'ls', '-q'], { ...process.env, MACHINE_NO_PRELAUNCH: '1' });
    assert.equal(off.stdout, 'bundle ran: ls -q\n');
  });

  it('loads the prelaunch only for the commands the build listed as starting a driver ahead', async () => {
    writeBuild('{"program":"same"}', '{"program":"same"}');
    const stamp = JSON.parse(fs.readFileSync(path.join(root, 'lib', 'build.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(root, 'lib', 'build.json'), JSON.stringify({ ...stamp, prelaunch: ['status', 'ls'] }));
    fs.writeFileSync(path.join(root, 'lib', 'prelaunch.js'), 'process.stdout.write("prelaunch loaded\\n");\nexports.prelaunch = () => {};\n');
    fs.writeFileSync(path.join(root, 'lib', 'fast-bundle.js'), 'exports.runFast = async () => { process.stdout.write("ran\\n"); return 0; };\n');
    assert.equal((await runNode([runJs, 'ls'], process.env)).stdout, 'prelaunch loaded\nran\n');
    assert.equal((await runNode([runJs, 'inspect', 'box'], process.env)).stdout, 'ran\n');
    assert.equal((await runNode([runJs, '--debug', 'ls'], process.env)).stdout, 'ran\n');
    // The real build lists what lib/prelaunch.js starts drivers for.
    const real = path.join(path.dirname(CLI), '..', 'lib');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PRELAUNCH_COMMANDS } = require(path.join(real, 'prelaunch.js')) as { PRELAUNCH_COMMANDS: string[] };
    assert.deepEqual((JSON.parse(fs.readFileSync(path.join(real, 'build.json'), 'utf8')) as { prelaunch: unknown }).prelaunch, PRELAUNCH_COMMANDS);
  });

  it('the stamp the build writes: a copy that lost mtimes still runs, a recompile does not', async () => {
    const info = path.join(root, 'lib', '.tsbuildinfo');
    fs.writeFileSync(info, '{"program":"built"}');
    fs.writeFileSync(path.join(root, 'lib', 'build.json'), JSON.stringify({ commit: 'test', ...stampOf(info) }));
    fs.writeFileSync(path.join(root, 'lib', 'prelaunch.js'), 'exports.prelaunch = () => {};\n');
    fs.writeFileSync(path.join(root, 'lib', 'fast-bundle.js'), 'exports.runFast = async () => { process.stdout.write("ran\\n"); return 0; };\n');
    assert.equal((await runNode([runJs, 'ls'], process.env)).stdout, 'ran\n');
    // Same content, another mtime (cp without -p): the content decides.
    fs.utimesSync(info, new Date(2001, 0, 1), new Date(2001, 0, 1));
    assert.equal((await runNode([runJs, 'ls'], process.env)).stdout, 'ran\n');
    // Same size, new content, as tsc writes it: refused.
    fs.writeFileSync(info, '{"program":"again"}');
    const r = await runNode([runJs, 'ls'], process.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /compiled again after the last build; run npm run build/);
  });

  it('a driver wrapper without its bundle says to run npm run build', async () => {
    const wrapper = path.join(root, 'bin', 'machine-driver-docker');
    fs.copyFileSync(path.join(path.dirname(CLI), '..', '..', 'plugins', 'driver-docker', 'bin', 'machine-driver-docker'), wrapper);
    const r = await runNode([wrapper], process.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^machine-driver-docker: not built; run npm run build$/m);
  });
});
