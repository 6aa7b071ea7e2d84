// Docker Machine parity, pinned from the user's seat: the exact stdout,
// stderr and exit code docker-machine 0.16.2 gives for the same command on a
// real machine (the generic driver on a real test host), since scripts test
// all three.
import { strict as assert } from 'node:assert';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, Sandbox } from './generic-support';

describe('Docker Machine parity on a real machine', function () {
  this.timeout(300_000);
  const sb = new Sandbox();
  const name = `parity-${process.pid}`;
  let host: TestHost;

  before(async () => {
    host = await startHost({ flavour: 'docker' });
  });

  after(async () => {
    await sb.cli(['rm', '-f', name]);
    await host?.remove();
    sb.cleanup();
  });

  // mocha runs a block's own tests before its nested blocks, so each phase is a block, in order.
  describe('while the machine runs', () => {
    it('splits ENGINE_REGISTRY_MIRROR on commas into one mirror each, as the reference does', async () => {
      const mirrors = 'https://mirror-one.test, https://mirror-two.test';
      await sb.ok(['create', ...genericFlags(host), name], { env: { ENGINE_REGISTRY_MIRROR: mirrors } });
      const r = await sb.docker(name, ['info', '--format', '{{json .RegistryConfig.Mirrors}}']);
      assert.equal(r.code, 0, explain(r));
      assert.deepEqual(JSON.parse(r.stdout), ['https://mirror-one.test/', 'https://mirror-two.test/']);
    });

    it('start fails: the message on stderr, exit 1', async () => {
      const r = await sb.cli(['start', name]);
      assert.deepEqual(r, { code: 1, stdout: `Starting "${name}"...\n`, stderr: `Machine "${name}" is already running.\n` }, explain(r));
    });
  });

  describe('once the host is down', () => {
    before(async () => {
      await host.stop();
    });

    it('stop fails: the message on stderr, exit 1', async () => {
      const r = await sb.cli(['stop', name]);
      assert.deepEqual(r, { code: 1, stdout: `Stopping "${name}"...\n`, stderr: `Machine "${name}" is already stopped.\n` }, explain(r));
    });

    it('kill fails: the message on stderr, exit 1', async () => {
      const r = await sb.cli(['kill', name]);
      assert.deepEqual(r, { code: 1, stdout: `Killing "${name}"...\n`, stderr: `Machine "${name}" is already stopped.\n` }, explain(r));
    });
  });

  describe('removing it', () => {
    it("rm -y opens with the reference's two lines", async () => {
      const r = await sb.cli(['rm', '-y', name]);
      assert.equal(r.code, 0, explain(r));
      assert.deepEqual(r.stdout.split('\n').slice(0, 2), [`About to remove ${name}`, 'WARNING: This action will delete both local reference and remote instance.']);
      assert.match(r.stdout, new RegExp(`Successfully removed ${name}\\n$`));
      assert.deepEqual(sb.machines(), []);
    });
  });
});
