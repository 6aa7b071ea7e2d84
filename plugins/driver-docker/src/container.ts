// What a machine's container looks like, and how its engine-side status
// reads as a machine state.
import type Dockerode from 'dockerode';
import type { MachineStateName } from '@machine/driver-sdk';
import { SSH_PORT, type DockerState } from './config';
import { machineHostConfig } from './image';
import { machineLabels } from './labels';


export interface ContainerSpecInput {
  name: string;
  storePath: string;
  state: DockerState;
  volumeName: string;
  /** The signal that halts the image's init cleanly. */
  stopSignal: string;
}

/** A machine: a systemd container (see machineHostConfig) that runs its own dockerd. */
export function containerSpec(input: ContainerSpecInput): Dockerode.ContainerCreateOptions {
  const { state } = input;
  const hostConfig = machineHostConfig(state.Network);
  // The machine's images and containers live here, so they outlast stop and start.
  hostConfig.Mounts = [{ Type: 'volume', Source: input.volumeName, Target: '/var/lib/docker' }];
  if (state.Memory > 0) hostConfig.Memory = state.Memory * 1024 * 1024;
  if (state.CPUs) hostConfig.NanoCpus = Math.round(Number(state.CPUs) * 1e9);

  const spec: Dockerode.ContainerCreateOptions = {
    name: state.ContainerName,
    Image: state.Image,
    Hostname: input.name,
    Cmd: ['/sbin/init'],
    Env: ['container=docker'],
    Tty: true,
    Labels: machineLabels(input.name, input.storePath, 'machine'),
    // systemd re-executes itself on SIGTERM; its halt signal stops the machine cleanly.
    StopSignal: input.stopSignal,
    HostConfig: hostConfig,
  };
  if (state.Publish) {
    const engine = `${state.EnginePort}/tcp`;
    spec.ExposedPorts = { [`${SSH_PORT}/tcp`]: {}, [engine]: {} };
    hostConfig.PortBindings = {
      [`${SSH_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(state.SSHPort) }],
      [engine]: [{ HostIp: '127.0.0.1', HostPort: String(state.EnginePort) }],
    };
  }
  return spec;
}

/** The engine's container status as a machine state. */
export function machineState(status: Dockerode.ContainerInspectInfo['State'] | undefined): MachineStateName {
  if (!status) return 'Error';
  if (status.Paused) return 'Paused';
  switch (status.Status) {
    case 'running':
      return 'Running';
    case 'restarting':
      return 'Starting';
    case 'paused':
      return 'Paused';
    case 'removing':
      return 'Stopping';
    case 'created':
    case 'exited':
      return 'Stopped';
    case 'dead':
      return 'Error';
    default:
      return 'Error';
  }
}

/** The machine's address on its network, "" when it has none. */
export function containerIP(info: Dockerode.ContainerInspectInfo, network: string): string {
  const networks = info.NetworkSettings?.Networks ?? {};
  const own = networks[network]?.IPAddress;
  if (own) return own;
  for (const n of Object.values(networks)) if (n?.IPAddress) return n.IPAddress;
  return '';
}

/** Host port the engine published for a container port, 0 when none. */
export function publishedPort(info: Dockerode.ContainerInspectInfo, port: number): number {
  const bindings = (info.NetworkSettings?.Ports as Record<string, Array<{ HostIp: string; HostPort: string }> | null> | undefined)?.[`${port}/tcp`];
  for (const b of bindings ?? []) {
    const n = Number(b.HostPort);
    if (n > 0) return n;
  }
  return 0;
}
