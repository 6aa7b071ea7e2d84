import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { configure, schema } from './config';
import { parseDockerHost } from './engine';

const machine = { name: 'dev', machineDir: '/store/machines/dev' };
const IMAGE = 'machine/image:test';

function rejects(flags: Record<string, string | number | boolean>, flag: string): void {
  assert.throws(
    () => configure(machine, flags, IMAGE),
    (err: unknown) => err instanceof DriverError && err.code === 'invalid-argument' && err.flag === flag,
  );
}

describe('docker driver configuration', () => {
  it('defaults to the local engine, the machine image and the machine network', () => {
    const s = configure(machine, {}, IMAGE);
    assert.equal(s.dockerHost, 'unix:///var/run/docker.sock');
    assert.equal(s.image, IMAGE);
    assert.equal(s.network, 'machine');
    assert.equal(s.publish, false);
    assert.equal(s.memoryMB, 0);
    assert.equal(s.cpus, '');
    assert.equal(s.containerName, 'dev');
    assert.equal(s.sshUser, 'root');
    assert.equal(s.sshKeyPath, '/store/machines/dev/id_rsa');
  });

  it('takes every flag', () => {
    const s = configure(
      machine,
      { 'docker-host': 'tcp://127.0.0.1:2376', 'docker-cert-path': '/certs', 'docker-image': 'x:1', 'docker-cpus': '1.5', 'docker-memory': 512, 'docker-network': 'lab', 'docker-publish': true },
      IMAGE,
    );
    assert.deepEqual(
      [s.dockerHost, s.dockerCertPath, s.image, s.cpus, s.memoryMB, s.network, s.publish],
      ['tcp://127.0.0.1:2376', '/certs', 'x:1', '1.5', 512, 'lab', true],
    );
  });

  it('rejects bad values naming the flag', () => {
    rejects({ 'docker-host': 'ssh://box' }, 'docker-host');
    rejects({ 'docker-host': 'unix://relative.sock' }, 'docker-host');
    rejects({ 'docker-cert-path': '/certs' }, 'docker-cert-path');
    rejects({ 'docker-cpus': '0' }, 'docker-cpus');
    rejects({ 'docker-cpus': 'two' }, 'docker-cpus');
    rejects({ 'docker-memory': -1 }, 'docker-memory');
    rejects({ 'docker-memory': '1g' }, 'docker-memory');
    rejects({ 'docker-network': 'host' }, 'docker-network');
    rejects({ 'docker-network': 'a b' }, 'docker-network');
  });

  it('declares its flags with the driver prefix', () => {
    for (const f of schema(IMAGE)) assert.match(f.name, /^docker-/);
    assert.equal(schema(IMAGE).find((f) => f.name === 'docker-image')?.default, IMAGE);
  });

  it('parses engine addresses', () => {
    assert.deepEqual(parseDockerHost('unix:///run/docker.sock'), { kind: 'unix', socketPath: '/run/docker.sock' });
    assert.deepEqual(parseDockerHost('tcp://10.0.0.2:2376'), { kind: 'tcp', hostname: '10.0.0.2', port: 2376 });
    assert.deepEqual(parseDockerHost('tcp://[::1]:2375'), { kind: 'tcp', hostname: '::1', port: 2375 });
  });
});
