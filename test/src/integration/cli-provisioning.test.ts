import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sandbox, waitGone, REPO, type Sandbox } from './cli-support';

// Whether the core provisions a machine is the driver's declared capability
// (Metadata.provisioning), never its name: a third-party driver that serves
// its engine itself must finish create like the bundled none driver does.
describe('provisioning follows the driver\'s declaration, not its name (real CLI)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  beforeEach(() => {
    sb = sandbox();
    fs.symlinkSync(path.join(REPO, 'test', 'bin', 'machine-driver-served'), path.join(sb.driverDir, 'machine-driver-served'));
  });
  afterEach(async () => {
    assert.deepEqual(await waitGone(sb), []);
    sb.cleanup();
  });

  it('creates a machine with an engine-serving driver under another name, without SSH', async () => {
    const r = await sb.run(['create', '-d', 'served', '--fake-ip', '127.0.0.1', 'hosted']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /Detecting operating system|Rolling back/);
    const host = sb.store.load('hosted');
    assert.equal(host.DriverName, 'served');
    assert.equal(host.Machine?.LastURL, 'tcp://127.0.0.1:2376');

    const ssh = await sb.run(['ssh', 'hosted', 'true']);
    assert.notEqual(ssh.code, 0);
    assert.match(ssh.stderr, /uses the served driver, which serves its engine itself: it has no SSH access/);

    const regen = await sb.run(['regenerate-certs', '-f', 'hosted']);
    assert.notEqual(regen.code, 0);
    assert.match(regen.stderr, /serves its engine itself: machine has no SSH access to provision it/);
  });

  it('provisions the same driver when it declares SSH, and rolls back when SSH is missing', async () => {
    // The plain fake driver declares "ssh": provisioning asks for its SSH access, which fails here.
    const r = await sb.run(['create', '-d', 'fake', '--fake-ip', '127.0.0.1', '--fake-fail-on', 'getSSHInfo', 'provisioned']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /Detecting operating system/);
    assert.match(r.stdout + r.stderr, /Rolled back/);
    assert.ok(!sb.store.exists('provisioned'));
  });
});
