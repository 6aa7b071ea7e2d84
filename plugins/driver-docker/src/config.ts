// The driver's flags and the state they turn into.
import { baseDriverState, DriverError, type BaseDriverState, type FlagSpec, type FlagValues, type JsonObject } from '@machine/driver-sdk';
import * as path from 'node:path';
import { DEFAULT_DOCKER_HOST, parseDockerHost } from './engine';

export const DEFAULT_NETWORK = 'machine';
/** Where sshd and dockerd listen inside a machine's container. */
export const SSH_PORT = 22;
export const ENGINE_PORT = 2376;

/**
 * The driver state persisted by the host in config.json under "Driver".
 * It opens with Docker Machine's BaseDriver fields, in the reference's
 * order and names, as every reference driver's state does: scripts read
 * them with `inspect -f '{{.Driver.IPAddress}}'` (or SSHPort, SSHUser,
 * SSHKeyPath, MachineName, StorePath) whatever the driver. The driver's own
 * fields follow, in the same Go-style names. IPAddress is the last address
 * seen (127.0.0.1 with Publish; live values come from the engine), and
 * SSHPort is 22 on the container's own address, or with Publish the port on
 * 127.0.0.1 chosen at create and kept across restarts.
 */
export type DockerState = BaseDriverState & {
  DockerHost: string;
  /** "" for a plain unix:// or tcp:// engine. */
  DockerCertPath: string;
  Image: string;
  /** Decimal CPUs, "" for no limit. */
  CPUs: string;
  /** MiB, 0 for no limit. */
  Memory: number;
  Network: string;
  Publish: boolean;
  /**
   * 2376; with Publish, the port on 127.0.0.1 chosen at create and kept
   * across restarts. The engine listens on the same port inside the
   * container, because the core configures the daemon for the port of the
   * machine's URL.
   */
  EnginePort: number;
  ContainerName: string;
  /** "" until the container exists. */
  ContainerID: string;
  VolumeName: string;
  /**
   * The host key line this driver generated and put in the container
   * (absent in states written before it was recorded), reported in SSHInfo
   * so that the core verifies the first connection.
   */
  SSHHostKey?: string;
};

/** The state as earlier builds of this driver wrote it (state version 1): camel-case names, no BaseDriver fields. */
type DockerStateV1 = {
  dockerHost?: string;
  dockerCertPath?: string;
  image?: string;
  cpus?: string;
  memoryMB?: number;
  network?: string;
  publish?: boolean;
  sshHostPort?: number;
  engineHostPort?: number;
  containerName?: string;
  containerId?: string;
  volumeName?: string;
  sshUser?: string;
  sshKeyPath?: string;
  sshHostKey?: string;
  ipAddress?: string;
};

export function schema(defaultImage: string): FlagSpec[] {
  return [
    {
      name: 'docker-host',
      type: 'string',
      description: 'Docker engine to run the machine container on: unix:///path/to/docker.sock or tcp://HOST:PORT',
      default: DEFAULT_DOCKER_HOST,
      envVar: 'MACHINE_DOCKER_HOST',
    },
    {
      name: 'docker-cert-path',
      type: 'string',
      description: 'Directory with ca.pem, cert.pem and key.pem for a TLS tcp:// engine',
      envVar: 'MACHINE_DOCKER_CERT_PATH',
    },
    {
      name: 'docker-image',
      type: 'string',
      description: 'Machine image (Debian with systemd, sshd and Docker Engine); built locally when the default is missing',
      default: defaultImage,
      envVar: 'MACHINE_DOCKER_IMAGE',
    },
    {
      name: 'docker-cpus',
      type: 'string',
      description: 'CPUs the machine may use, e.g. 1.5 (default: no limit)',
      envVar: 'MACHINE_DOCKER_CPUS',
    },
    {
      name: 'docker-memory',
      type: 'int',
      description: 'Memory limit in MB (default: no limit)',
      default: 0,
      envVar: 'MACHINE_DOCKER_MEMORY',
    },
    {
      name: 'docker-network',
      type: 'string',
      description: 'Docker network for the machine; created when absent',
      default: DEFAULT_NETWORK,
      envVar: 'MACHINE_DOCKER_NETWORK',
    },
    {
      name: 'docker-publish',
      type: 'bool',
      description: 'Publish SSH and the engine port on 127.0.0.1, for engines whose container addresses this host cannot reach',
      default: false,
      envVar: 'MACHINE_DOCKER_PUBLISH',
    },
  ];
}

function str(flags: FlagValues, name: string, fallback = ''): string {
  const v = flags[name];
  if (v === undefined) return fallback;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new DriverError('invalid-argument', `--${name} takes one value`, { flag: name });
}

function int(flags: FlagValues, name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new DriverError('invalid-argument', `--${name} must be a whole number of zero or more, not "${String(v)}"`, { flag: name });
  }
  return n;
}

function bool(flags: FlagValues, name: string): boolean {
  const v = flags[name];
  if (v === undefined || v === '') return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(1|true|yes)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(0|false|no)$/i.test(v)) return false;
  throw new DriverError('invalid-argument', `--${name} is true or false, not "${String(v)}"`, { flag: name });
}

// Docker's own rule for container and network names.
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function configure(machine: { name: string; machineDir: string; storePath: string }, flags: FlagValues, defaultImage: string): DockerState {
  const dockerHost = str(flags, 'docker-host', DEFAULT_DOCKER_HOST) || DEFAULT_DOCKER_HOST;
  try {
    parseDockerHost(dockerHost);
  } catch (err) {
    throw new DriverError('invalid-argument', `--docker-host: ${(err as Error).message}`, { flag: 'docker-host' });
  }
  const dockerCertPath = str(flags, 'docker-cert-path');
  if (dockerCertPath && !dockerHost.startsWith('tcp://')) {
    throw new DriverError('invalid-argument', '--docker-cert-path only applies to a tcp:// --docker-host', { flag: 'docker-cert-path' });
  }

  const image = str(flags, 'docker-image', defaultImage) || defaultImage;

  const cpus = str(flags, 'docker-cpus');
  if (cpus && (!/^\d+(\.\d+)?$/.test(cpus) || Number(cpus) <= 0)) {
    throw new DriverError('invalid-argument', `--docker-cpus must be a positive number such as 2 or 1.5, not "${cpus}"`, { flag: 'docker-cpus' });
  }
  const memoryMB = int(flags, 'docker-memory', 0);

  const network = str(flags, 'docker-network', DEFAULT_NETWORK) || DEFAULT_NETWORK;
  if (network === 'host' || network === 'none' || network.startsWith('container:')) {
    throw new DriverError('invalid-argument', `--docker-network ${network} gives the machine no address of its own; use a bridge network such as "${DEFAULT_NETWORK}"`, {
      flag: 'docker-network',
    });
  }
  if (!DOCKER_NAME.test(network)) {
    throw new DriverError('invalid-argument', `--docker-network "${network}" is not a valid network name (letters, digits, _ . -)`, { flag: 'docker-network' });
  }

  if (!DOCKER_NAME.test(machine.name)) {
    throw new DriverError('invalid-argument', `"${machine.name}" cannot be a container name; use letters, digits, "." and "-"`);
  }

  return {
    ...baseDriverState(machine, { SSHUser: 'root', SSHPort: SSH_PORT, SSHKeyPath: path.join(machine.machineDir, 'id_rsa') }),
    DockerHost: dockerHost,
    DockerCertPath: dockerCertPath,
    Image: image,
    CPUs: cpus,
    Memory: memoryMB,
    Network: network,
    Publish: bool(flags, 'docker-publish'),
    EnginePort: ENGINE_PORT,
    ContainerName: machine.name,
    ContainerID: '',
    VolumeName: '',
  };
}

/** State version 1 (see DockerStateV1) in today's names; the BaseDriver fields from the machine. */
export function upgradeFromV1(machine: { name: string; storePath: string }, state: JsonObject): DockerState {
  const v1 = state as DockerStateV1;
  const publish = v1.publish === true;
  return {
    ...baseDriverState(machine, {
      IPAddress: v1.ipAddress ?? '',
      SSHUser: v1.sshUser ?? 'root',
      SSHPort: publish && v1.sshHostPort ? v1.sshHostPort : SSH_PORT,
      SSHKeyPath: v1.sshKeyPath ?? '',
    }),
    DockerHost: v1.dockerHost ?? '',
    DockerCertPath: v1.dockerCertPath ?? '',
    Image: v1.image ?? '',
    CPUs: v1.cpus ?? '',
    Memory: v1.memoryMB ?? 0,
    Network: v1.network ?? DEFAULT_NETWORK,
    Publish: publish,
    EnginePort: publish && v1.engineHostPort ? v1.engineHostPort : ENGINE_PORT,
    ContainerName: v1.containerName ?? machine.name,
    ContainerID: v1.containerId ?? '',
    VolumeName: v1.volumeName ?? '',
    ...(v1.sshHostKey ? { SSHHostKey: v1.sshHostKey } : {}),
  };
}
