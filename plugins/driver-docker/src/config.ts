// The driver's flags and the state they turn into.
import { DriverError, type FlagSpec, type FlagValues } from '@machine/driver-sdk';
import * as path from 'node:path';
import { DEFAULT_DOCKER_HOST, parseDockerHost } from './engine';

export const DEFAULT_NETWORK = 'machine';

/** The driver state persisted by the host in config.json under "Driver". */
export type DockerState = {
  dockerHost: string;
  /** "" for a plain unix:// or tcp:// engine. */
  dockerCertPath: string;
  image: string;
  /** Decimal CPUs, "" for no limit. */
  cpus: string;
  /** MiB, 0 for no limit. */
  memoryMB: number;
  network: string;
  publish: boolean;
  /**
   * With publish: the ports on 127.0.0.1, chosen at create and kept across
   * restarts. The engine listens on the same port inside the container,
   * because the core configures the daemon for the port of the machine's URL.
   */
  sshHostPort: number;
  engineHostPort: number;
  containerName: string;
  /** "" until the container exists. */
  containerId: string;
  volumeName: string;
  sshUser: string;
  sshKeyPath: string;
  /**
   * The host key line this driver generated and put in the container
   * (absent in states written before it was recorded), reported in SSHInfo
   * so that the core verifies the first connection.
   */
  sshHostKey?: string;
  /** Last address seen; live values come from the engine. */
  ipAddress: string;
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

export function configure(machine: { name: string; machineDir: string }, flags: FlagValues, defaultImage: string): DockerState {
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
    dockerHost,
    dockerCertPath,
    image,
    cpus,
    memoryMB,
    network,
    publish: bool(flags, 'docker-publish'),
    sshHostPort: 0,
    engineHostPort: 0,
    containerName: machine.name,
    containerId: '',
    volumeName: '',
    sshUser: 'root',
    sshKeyPath: path.join(machine.machineDir, 'id_rsa'),
    ipAddress: '',
  };
}
