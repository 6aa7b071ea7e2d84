import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeAllDrivers, launchDriver } from './host';

const MINI = path.join(__dirname, 'testing', 'mini-driver.js');

function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const eq = entry.indexOf('=');
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

describe('the environment a driver starts with', function () {
  this.timeout(30_000);
  after(() => closeAllDrivers());

  it('carries none of the shell\'s DOCKER_* variables, and everything else', async () => {
    const d = await launchDriver({
      name: 'mini',
      path: process.execPath,
      args: [MINI],
      env: {
        ...process.env,
        DOCKER_HOST: 'tcp://192.0.2.7:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/home/user/.machine/machines/other',
        DOCKER_MACHINE_NAME: 'other',
        MACHINE_DOCKER_HOST: 'unix:///var/run/docker.sock',
        VENDOR_TOKEN: 'kept',
      },
    });
    assert.ok(d.pid);
    const env = environOf(d.pid);
    assert.deepEqual(
      Object.keys(env).filter((k) => k.startsWith('DOCKER_')),
      [],
    );
    assert.equal(env.MACHINE_DOCKER_HOST, 'unix:///var/run/docker.sock', 'a driver flag\'s own variable is not a DOCKER_* one');
    assert.equal(env.VENDOR_TOKEN, 'kept');
    await d.close();
  });
});
