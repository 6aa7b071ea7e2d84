// Provisioning as a library against real test hosts: one SSH connection,
// the engine reconfigured for TLS with the given certificates and options,
// the existing storage driver kept, the host key recorded and then enforced.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { provisionHost } from '@machine/cli/lib/provision';
import { HostKeyMismatchError } from '@machine/cli/lib/ssh';
import { startHost, type TestHost } from '../hosts';
import { makePki, request, type Pki } from './provision-support';

describe('provisioning a real host', function () {
  this.timeout(180_000);
  let host: TestHost;
  let pki: Pki;
  let recordedKey = '';

  before(async () => {
    [host, pki] = await Promise.all([startHost({ flavour: 'docker' }), makePki()]);
  });

  after(async () => {
    await host?.remove();
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  it('configures an engine that is already installed, keeping its storage driver', async () => {
    const steps: string[] = [];
    const result = await provisionHost(
      request(host, pki, {
        engine: { arbitraryFlags: ['log-level=warn'], env: ['MACHINE_IT=with space'], insecureRegistry: ['reg.test:5000'], labels: ['team=it'], registryMirror: [], storageDriver: 'overlay2' },
        step: (s) => steps.push(s),
      }),
    );
    recordedKey = result.hostKey;
    assert.equal(result.installedDocker, false);
    assert.equal(result.provisioner, 'debian(systemd)');
    assert.equal(result.storageDriver, 'vfs', 'the engine keeps the driver its data is in');
    assert.ok(result.warnings.some((w) => /daemon\.json already sets "storage-driver", so --storage-driver overlay2 was not applied/.test(w)), result.warnings.join('\n'));
    assert.match(result.hostKey, /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) /);
    assert.ok(result.dockerVersion);
    for (const phase of ['sshWait', 'detection', 'certificates', 'configuration', 'daemonWait']) assert.equal(typeof result.phases[phase], 'number', phase);
    assert.deepEqual(steps.slice(0, 3), ['Waiting for SSH to be available...', 'Detecting the provisioner...', 'Provisioning with debian(systemd)...']);

    const dropIn = await host.exec('cat /etc/systemd/system/docker.service.d/10-machine.conf');
    assert.match(dropIn.stdout, /^ExecStart=\/usr\/sbin\/dockerd -H tcp:\/\/0\.0\.0\.0:2376 -H unix:\/\/\/var\/run\/docker\.sock --tlsverify/m);
    assert.match(dropIn.stdout, /--label team=it --label provider=generic/);
    assert.match(dropIn.stdout, /--insecure-registry reg\.test:5000/);
    assert.match(dropIn.stdout, /--log-level=warn/);
    assert.doesNotMatch(dropIn.stdout, /--storage-driver/, 'daemon.json already names the storage driver');
    const env = await host.exec('tr "\\0" "\\n" < /proc/$(pidof dockerd)/environ');
    assert.match(env.stdout, /^MACHINE_IT=with space$/m, 'engine environment reaches the daemon verbatim');
    const info = await host.exec('docker info --format "{{.Driver}} {{json .Labels}}"');
    // dockerd de-duplicates labels through a map, so their order varies from start to start.
    const [driver, labelsJSON] = info.stdout.trim().split(' ', 2);
    assert.equal(driver, 'vfs');
    assert.deepEqual((JSON.parse(labelsJSON) as string[]).sort(), ['provider=generic', 'team=it']);
    assert.equal((await host.exec('hostname')).stdout.trim(), 'prov-it');
    const staging = await host.exec('ls -d /tmp/machine.* 2>/dev/null | wc -l');
    assert.equal(staging.stdout.trim(), '0', 'the staging directory is removed');
  });

  it('reuses the recorded host key and refuses a different one', async () => {
    const again = await provisionHost(request(host, pki, { hostKey: { expected: recordedKey, machineName: 'prov-it' } }));
    assert.equal(again.hostKey, recordedKey);
    const other = recordedKey.replace(/ \S+$/, ' AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKey0');
    await assert.rejects(
      provisionHost(request(host, pki, { hostKey: { expected: other, machineName: 'prov-it' }, sshTimeoutMs: 5000 })),
      (err: Error) => err.cause instanceof HostKeyMismatchError && /has changed/.test(err.message) && /--reset-host-key prov-it/.test(err.message),
    );
  });

  it('refuses a daemon.json that takes over the daemon\'s listeners, naming the fix', async () => {
    await host.exec(`printf '{"storage-driver":"vfs","hosts":["unix:///var/run/docker.sock"]}' > /etc/docker/daemon.json`);
    try {
      await assert.rejects(provisionHost(request(host, pki)), /sets "hosts".*Remove those keys from \/etc\/docker\/daemon\.json/s);
    } finally {
      await host.exec(`printf '{"storage-driver":"vfs"}' > /etc/docker/daemon.json`);
    }
  });
});
