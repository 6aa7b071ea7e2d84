import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { configure, schema, upgradeFromV1 } from './config';
import { parseDockerHost } from './engine';

const machine = { name: 'dev', machineDir: '/store/machines/dev', storePath: '/store' };
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
    assert.equal(s.DockerHost, 'unix:///var/run/docker.sock');
    assert.equal(s.Image, IMAGE);
    assert.equal(s.Network, 'machine');
    assert.equal(s.Publish, false);
    assert.equal(s.Memory, 0);
    assert.equal(s.CPUs, '');
    assert.equal(s.ContainerName, 'dev');
    assert.equal(s.SSHUser, 'root');
    assert.equal(s.SSHPort, 22);
    assert.equal(s.SSHKeyPath, '/store/machines/dev/id_rsa');
    assert.equal(s.EnginePort, 2376);
  });

  it("opens with Docker Machine's BaseDriver fields, in the reference's order, for scripts that read {{.Driver.IPAddress}} and the like", () => {
    const s = configure(machine, {}, IMAGE);
    assert.deepEqual(Object.keys(s).slice(0, 9), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery']);
    assert.deepEqual([s.MachineName, s.StorePath, s.SwarmMaster, s.SwarmHost, s.SwarmDiscovery], ['dev', '/store', false, '', '']);
  });

  it('reads a state version 1 in today\'s names, with the published ports as SSHPort and EnginePort', () => {
    const v1 = {
      dockerHost: 'tcp://10.0.0.2:2376',
      dockerCertPath: '/certs',
      image: 'x:1',
      cpus: '2',
      memoryMB: 512,
      network: 'lab',
      publish: true,
      sshHostPort: 40022,
      engineHostPort: 40376,
      containerName: 'dev',
      containerId: 'abc123',
      volumeName: 'dev-docker-f00',
      sshUser: 'root',
      sshKeyPath: '/store/machines/dev/id_rsa',
      sshHostKey: 'ssh-ed25519 AAAA root@dev',
      ipAddress: '127.0.0.1',
    };
    assert.deepEqual(upgradeFromV1(machine, v1), {
      IPAddress: '127.0.0.1',
      MachineName: 'dev',
      SSHUser: 'root',
      SSHPort: 40022,
      SSHKeyPath: '/store/machines/dev/id_rsa',
      StorePath: '/store',
      SwarmMaster: false,
      SwarmHost: '',
      SwarmDiscovery: '',
      DockerHost: 'tcp://10.0.0.2:2376',
      DockerCertPath: '/certs',
      Image: 'x:1',
      CPUs: '2',
      Memory: 512,
      Network: 'lab',
      Publish: true,
      EnginePort: 40376,
      ContainerName: 'dev',
      ContainerID: 'abc123',
      VolumeName: 'dev-docker-f00',
      SSHHostKey: 'ssh-ed25519 AAAA root@dev',
    });
    const { sshHostKey: _key, ...withoutKey } = v1;
    const unpublished = upgradeFromV1(machine, { ...withoutKey, publish: false, sshHostPort: 0, engineHostPort: 0 });
    assert.deepEqual([unpublished.SSHPort, unpublished.EnginePort, 'SSHHostKey' in unpublished], [22, 2376, false]);
  });

  it('takes every flag', () => {
    const s = configure(
      machine,
      { 'docker-host': 'tcp://127.0.0.1:2376', 'docker-cert-path': '/certs', 'docker-image': 'x:1', 'docker-cpus': '1.5', 'docker-memory': 512, 'docker-network': 'lab', 'docker-publish': true },
      IMAGE,
    );
    assert.deepEqual(
      [s.DockerHost, s.DockerCertPath, s.Image, s.CPUs, s.Memory, s.Network, s.Publish],
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
