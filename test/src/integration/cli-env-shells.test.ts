import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '@machine/cli/lib/store';
import { CLI, addFakeMachine, loopbackIP, runCli, sandbox, startDaemon, waitGone, type Daemon, type Sandbox } from './cli-support';

// env's output is meant for eval: the real shells must read back exactly the
// values we meant, even from a store path with a space, a quote and a `$`.
describe('machine env, evaluated by real shells (bash, fish, tcsh)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let odd: Sandbox;
  let daemon: Daemon | undefined;
  let oddRoot: string;
  beforeEach(async () => {
    sb = sandbox();
    oddRoot = path.join(sb.root, 'my "store" $HOME it\'s');
    odd = { ...sb, store: new Store(oddRoot) };
    const ip = loopbackIP();
    addFakeMachine(odd, 'dev', { ip });
    daemon = await startDaemon(odd, 'dev', ip);
  });
  afterEach(async () => {
    await daemon?.close();
    assert.deepEqual(await waitGone(sb), [], 'driver processes left behind');
    sb.cleanup();
  });

  const shells: Record<string, (script: string) => string[]> = {
    bash: (s) => ['bash', '--norc', '--noprofile', '-c', s],
    fish: (s) => ['fish', '--no-config', '-c', s],
    tcsh: (s) => ['tcsh', '-f', '-c', s],
  };

  for (const [shell, argv] of Object.entries(shells)) {
    it(`${shell}: the values and the "Run this command" hint both round-trip`, async () => {
      const env = { ...sb.env };
      delete env.MACHINE_STORAGE_PATH;
      const r = await runCli(['env', '--shell', shell, '-s', oddRoot, 'dev'], env);
      assert.equal(r.code, 0, r.stderr);
      const file = path.join(sb.root, `env.${shell}`);
      fs.writeFileSync(file, r.stdout);
      // Asynchronous: the stand-in daemon answers from this process.
      const read = async (script: string): Promise<string> => {
        const [cmd, ...args] = argv(script);
        return (await promisify(execFile)(cmd, args, { env: { ...env, HOME: sb.root }, encoding: 'utf8' })).stdout;
      };
      const expected = `${odd.store.machineDir('dev')}\ndev\n`;
      // Sourcing the printed lines.
      assert.equal(await read(`source ${shell === 'bash' ? "'" + file + "'" : file}; printenv DOCKER_CERT_PATH; printenv DOCKER_MACHINE_NAME`), expected);
      // Running the hint as printed, which runs machine env again.
      const hint = r.stdout.trim().split('\n').pop() ?? '';
      const comment = shell === 'tcsh' ? ': ' : '# ';
      assert.ok(hint.startsWith(comment + 'eval'), hint);
      assert.ok(hint.includes(CLI), hint);
      assert.equal(await read(`${hint.slice(comment.length)}; printenv DOCKER_CERT_PATH; printenv DOCKER_MACHINE_NAME`), expected);
    });
  }
});
