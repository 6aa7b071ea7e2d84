import { strict as assert } from 'node:assert';
import type Dockerode from 'dockerode';
import { configure } from './config';
import { containerIP, containerSpec, machineState, publishedPort } from './container';

type Inspect = Dockerode.ContainerInspectInfo;

describe('docker driver container', () => {
  const state = {
    ...configure({ name: 'dev', machineDir: '/s/machines/dev', storePath: '/s' }, { 'docker-memory': 1024, 'docker-cpus': '1.5', 'docker-publish': true }, 'img:1'),
    SSHPort: 40022,
    EnginePort: 40376,
  };

  it('runs systemd unprivileged with the Docker data on the volume', () => {
    const spec = containerSpec({ name: 'dev', storePath: '/s', state, volumeName: 'dev-docker-abc', stopSignal: 'SIGRTMIN+3' });
    const hc = spec.HostConfig as Dockerode.HostConfig & { CgroupnsMode?: string };
    assert.equal(hc.Privileged, undefined);
    // Docker's default capabilities plus only what systemd and dockerd need (see the driver's README).
    assert.deepEqual(hc.CapAdd, ['SYS_ADMIN', 'NET_ADMIN']);
    assert.ok(!(hc.SecurityOpt ?? []).includes('seccomp=unconfined'), 'seccomp stays confined');
    assert.deepEqual(spec.Cmd, ['/sbin/init']);
    assert.equal(hc.CgroupnsMode, 'host');
    assert.equal(spec.StopSignal, 'SIGRTMIN+3');
    assert.deepEqual(hc.Mounts, [{ Type: 'volume', Source: 'dev-docker-abc', Target: '/var/lib/docker' }]);
    assert.equal(hc.Memory, 1024 * 1024 * 1024);
    assert.equal(hc.NanoCpus, 1.5e9);
    assert.equal(spec.Labels?.['io.machine.name'], 'dev');
    assert.equal(spec.Labels?.['io.machine.store'], '/s');
    // The engine's port is the same inside and out: the daemon is configured for the URL's port.
    assert.deepEqual(hc.PortBindings, {
      '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '40022' }],
      '40376/tcp': [{ HostIp: '127.0.0.1', HostPort: '40376' }],
    });
    assert.deepEqual(Object.keys(spec.ExposedPorts ?? {}).sort(), ['22/tcp', '40376/tcp']);
  });

  it('maps container status to machine state', () => {
    const st = (Status: string, Paused = false) => ({ Status, Paused }) as Inspect['State'];
    assert.equal(machineState(st('running')), 'Running');
    assert.equal(machineState(st('running', true)), 'Paused');
    assert.equal(machineState(st('exited')), 'Stopped');
    assert.equal(machineState(st('created')), 'Stopped');
    assert.equal(machineState(st('restarting')), 'Starting');
    assert.equal(machineState(st('removing')), 'Stopping');
    assert.equal(machineState(st('dead')), 'Error');
  });

  it('reads the address and published ports', () => {
    const info = {
      NetworkSettings: {
        Networks: { machine: { IPAddress: '172.20.0.3' } },
        Ports: { '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }], '2376/tcp': null },
      },
    } as unknown as Inspect;
    assert.equal(containerIP(info, 'machine'), '172.20.0.3');
    assert.equal(publishedPort(info, 22), 49153);
    assert.equal(publishedPort(info, 2376), 0);
  });
});
