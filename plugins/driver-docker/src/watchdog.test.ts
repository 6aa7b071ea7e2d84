import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from '@machine/driver-sdk/process-alive';
import { BUILD_WATCHDOG } from './image';
import { lockDir } from './lock';

describe('the image build watchdog', function () {
  this.timeout(20_000);
  it('ends the build when the driver that started it is killed with SIGKILL', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watchdog-'));
    const recipe = path.join(dir, 'recipe.sh');
    const pidFile = path.join(dir, 'build.pid');
    fs.writeFileSync(recipe, `echo $$ > '${pidFile}'\nexec sleep 60\n`);
    // A stand-in driver: starts the watchdog as runRecipe does, then waits.
    const driver = spawn(
      process.execPath,
      [
        '-e',
        `require('child_process').spawn('bash', ['-c', process.argv[1], 'build-watchdog', process.argv[2]], { stdio: 'ignore', detached: true, env: { ...process.env, MACHINE_BUILD_OWNER: String(process.pid) } }); setInterval(() => {}, 1000);`,
        BUILD_WATCHDOG,
        recipe,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, 'utf8').trim()) {
      assert.ok(Date.now() < deadline, 'the build started');
      await new Promise((r) => setTimeout(r, 50));
    }
    const build = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.equal(isProcessAlive(build), true);
    driver.kill('SIGKILL');
    const gone = Date.now() + 10_000;
    while (isProcessAlive(build)) {
      assert.ok(Date.now() < gone, 'the build outlived its driver');
      await new Promise((r) => setTimeout(r, 100));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the docker driver lock directory', () => {
  it('is private to the user and not a predictable name in the shared /tmp', () => {
    const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'xdg-'));
    const dir = lockDir({ XDG_RUNTIME_DIR: runtime });
    assert.equal(dir, path.join(runtime, 'machine-driver-docker'));
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    fs.rmSync(runtime, { recursive: true, force: true });
  });
});
