// The docker driver: each machine is a long-running systemd container with
// its own dockerd, on a Docker engine reached through its API. The core
// provisions it over SSH like any remote host; this file only makes and
// controls the container.
import type Dockerode from 'dockerode';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DriverError, generateEd25519HostKey, generateSSHKeyPair, writeSSHKeyPair, type Description, type Driver, type DriverContext, type FlagSpec, type FlagValues, type JsonObject, type MachineStateName, type SSHInfo } from '@machine/driver-sdk';
import { configure, ENGINE_PORT, schema, SSH_PORT, upgradeFromV1, type DockerState } from './config';
import { containerIP, containerSpec, machineState, publishedPort } from './container';
import { DEFAULT_DOCKER_HOST, connectEngine, engineMessage, engineStatus, isConnectionError, isNotFound } from './engine';
import { LABEL_MANAGED, LABEL_NAME, LABEL_ROLE, LABEL_STORE, labelFilter, machineLabels, networkLabels } from './labels';
import { withLock } from './lock';
import { tarArchive } from './tar';
import { AbortedError, sleep, waitForSSH } from './wait';
import { ensureMachineImage, defaultImageTag } from './machine-image';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;
const STOP_TIMEOUT_S = 30;
const RUNNING_TIMEOUT_MS = 60_000;
const SSH_TIMEOUT_MS = 120_000;

type Undo = { what: string; run: () => Promise<void> };

export class DockerDriver implements Driver<DockerState> {
  readonly info = {
    name: 'docker',
    version: VERSION,
    description: 'Machines as systemd containers with their own Docker Engine, on a local or remote Docker engine',
    // 2: the BaseDriver fields and Go-style names (config.ts); 1: camel case.
    stateVersion: 2,
    capabilities: ['cancel-create'],
  };

  schema(): FlagSpec[] {
    return schema(defaultImageTag());
  }

  configure(ctx: DriverContext, flags: FlagValues): DockerState {
    return configure(ctx.machine, flags, defaultImageTag());
  }

  upgradeState(ctx: DriverContext, state: JsonObject): DockerState {
    // Version 1 is the only older one.
    return upgradeFromV1(ctx.machine, state);
  }

  async preCreateCheck(ctx: DriverContext, state: DockerState): Promise<void> {
    const docker = this.engine(state);
    await this.ping(docker, state, ctx.signal);
    await this.checkNameFree(docker, state, ctx);
    if (!(await this.imageExists(docker, state.Image)) && state.Image !== defaultImageTag()) {
      throw missingImage(state);
    }
  }

  async create(ctx: DriverContext, state: DockerState): Promise<DockerState> {
    const docker = this.engine(state);
    const { name, storePath, machineDir } = ctx.machine;
    const undo: Undo[] = [];
    // Where a create's time goes, for --debug and the benchmark.
    const phases: Record<string, number> = {};
    let mark = performance.now();
    const step = (phase: string) => {
      const now = performance.now();
      phases[phase] = Math.round(now - mark);
      mark = now;
      if (ctx.signal.aborted) throw new AbortedError();
    };
    try {
      // RSA key generation takes a while; it runs alongside the engine checks.
      await fs.mkdir(machineDir, { recursive: true, mode: 0o700 });
      const keysPending = generateSSHKeyPair(`machine-${name}`).then(async (pair) => ({
        ...pair,
        ...(await writeSSHKeyPair(path.join(machineDir, 'id_rsa'), pair)),
      }));
      keysPending.catch(() => undefined);
      undo.push({
        what: 'SSH key',
        run: async () => {
          const keys = await keysPending.catch(() => undefined);
          if (!keys) return;
          await fs.rm(keys.privateKeyPath, { force: true });
          await fs.rm(keys.publicKeyPath, { force: true });
        },
      });
      await this.ping(docker, state, ctx.signal);
      step('engine');
      const stopSignal = await ensureMachineImage(docker, state, ctx, () => missingImage(state));
      step('image');
      await this.checkNameFree(docker, state, ctx);
      step('nameCheck');

      const undoNetwork = { what: `network ${state.Network}`, run: () => this.removeNetworkIfUnused(docker, state) };
      if (await this.ensureNetwork(docker, state, ctx)) undo.push(undoNetwork);
      step('network');

      const volumeName = `${state.ContainerName}-docker-${randomSuffix()}`;
      await docker.createVolume({ Name: volumeName, Labels: machineLabels(name, storePath, 'docker-data') });
      undo.push({ what: `volume ${volumeName}`, run: () => removeVolume(docker, volumeName) });
      step('volume');

      if (state.Publish) state = { ...state, ...(await freeLoopbackPorts()) };
      ctx.progress(`Creating container ${state.ContainerName} from ${state.Image}...`);
      const spec = containerSpec({ name, storePath, state, volumeName, stopSignal });
      let container: Dockerode.Container;
      try {
        container = await docker.createContainer(spec);
      } catch (err) {
        if (!(engineStatus(err) === 404 && /network/i.test(engineMessage(err)))) throw this.containerRefused(err, state);
        // The last machine on the network was removed (and the network with it) since ensureNetwork.
        if (await this.ensureNetwork(docker, state, ctx)) undo.push(undoNetwork);
        try {
          container = await docker.createContainer(spec);
        } catch (again) {
          throw this.containerRefused(again, state);
        }
      }
      undo.push({ what: `container ${state.ContainerName}`, run: () => removeContainer(docker, container.id) });
      step('containerCreate');

      const keys = await keysPending;
      step('sshKey');
      // The keys go in before the first boot, so sshd never runs without
      // them, and the image's first-boot host key generation is skipped.
      const hostKey = generateEd25519HostKey(`root@${name}`);
      await container.putArchive(
        await tarArchive([
          { name: 'root/.ssh/', mode: 0o700 },
          { name: 'root/.ssh/authorized_keys', mode: 0o600, content: `${keys.publicKey}\n` },
          { name: 'etc/ssh/ssh_host_ed25519_key', mode: 0o600, content: hostKey.privateKey },
          { name: 'etc/ssh/ssh_host_ed25519_key.pub', mode: 0o644, content: `${hostKey.publicKey}\n` },
        ]),
        { path: '/' },
      );
      step('keyInject');

      ctx.progress('Starting the container...');
      try {
        await container.start();
      } catch (err) {
        throw this.containerRefused(err, state);
      }
      step('containerStart');
      const next: DockerState = { ...state, ContainerID: container.id, VolumeName: volumeName };
      const ip = await this.waitUntilUp(docker, next, ctx, step);
      ctx.log.info('create phases (ms)', phases);
      return { ...next, IPAddress: ip, SSHHostKey: hostKey.publicKey.trim() };
    } catch (err) {
      for (const u of undo.reverse()) {
        try {
          await u.run();
        } catch (cleanupErr) {
          ctx.log.warn(`could not remove ${u.what} after a failed create`, { error: engineMessage(cleanupErr) });
          ctx.warn(`Could not remove ${u.what} after the failed create`, engineMessage(cleanupErr));
        }
      }
      throw this.translate(err, state);
    }
  }

  async start(ctx: DriverContext, state: DockerState): Promise<DockerState> {
    const container = await this.container(state, ctx);
    ctx.progress('Starting the container...');
    try {
      await container.start();
    } catch (err) {
      // 304: already running.
      if (engineStatus(err) !== 304) throw this.translate(err, state);
    }
    const ip = await this.waitUntilUp(this.engine(state), state, ctx);
    return { ...state, IPAddress: ip };
  }

  async stop(ctx: DriverContext, state: DockerState): Promise<void> {
    const container = await this.container(state, ctx);
    ctx.progress('Stopping the container...');
    try {
      await container.stop({ t: STOP_TIMEOUT_S });
    } catch (err) {
      if (engineStatus(err) !== 304) throw this.translate(err, state);
    }
  }

  async restart(ctx: DriverContext, state: DockerState): Promise<DockerState> {
    const container = await this.container(state, ctx);
    ctx.progress('Restarting the container...');
    try {
      await container.restart({ t: STOP_TIMEOUT_S });
    } catch (err) {
      throw this.translate(err, state);
    }
    const ip = await this.waitUntilUp(this.engine(state), state, ctx);
    return { ...state, IPAddress: ip };
  }

  async kill(ctx: DriverContext, state: DockerState): Promise<void> {
    const container = await this.container(state, ctx);
    try {
      await container.kill({ signal: 'SIGKILL' });
    } catch (err) {
      // 409: not running, which is what kill is for.
      if (engineStatus(err) !== 409 && engineStatus(err) !== 304) throw this.translate(err, state);
    }
  }

  async remove(ctx: DriverContext, state: DockerState): Promise<void> {
    // A machine that was never configured has nothing on any engine.
    if (!state.DockerHost) return;
    const docker = this.engine(state);
    try {
      if (this.ref(state)) {
        const owned = await this.findOwnContainer(docker, state, ctx);
        if (owned) await removeContainer(docker, owned);
      }
      if (state.VolumeName) await removeVolume(docker, state.VolumeName);
      // A volume left over by an interrupted create of the same machine.
      const leftovers = await docker.listVolumes({
        filters: JSON.stringify({ label: labelFilter({ [LABEL_NAME]: ctx.machine.name, [LABEL_STORE]: ctx.machine.storePath }) }),
      });
      for (const v of leftovers.Volumes ?? []) await removeVolume(docker, v.Name);
      await this.removeNetworkIfUnused(docker, state);
    } catch (err) {
      throw this.translate(err, state);
    }
  }

  async getState(ctx: DriverContext, state: DockerState): Promise<MachineStateName> {
    if (!this.ref(state)) return 'Not Found';
    try {
      const info = await this.engine(state).getContainer(this.ref(state)).inspect({ abortSignal: ctx.signal });
      return machineState(info.State);
    } catch (err) {
      if (isNotFound(err)) return 'Not Found';
      throw this.translate(err, state);
    }
  }

  async getIP(ctx: DriverContext, state: DockerState): Promise<string> {
    const info = await this.inspect(state, ctx);
    if (!info.State?.Running) throw new DriverError('failed-precondition', `machine "${ctx.machine.name}" is not running`, { detail: `Start it with: machine start ${ctx.machine.name}` });
    if (state.Publish) return '127.0.0.1';
    const ip = containerIP(info, state.Network);
    if (!ip) throw new DriverError('failed-precondition', `the container of "${ctx.machine.name}" has no address on network ${state.Network}`);
    return ip;
  }

  async getURL(ctx: DriverContext, state: DockerState): Promise<string> {
    return urlOf(await this.inspect(state, ctx), state);
  }

  /** One inspect answers all of `ls`'s questions. A stopped machine has no address and that is no error. */
  async describe(ctx: DriverContext, state: DockerState): Promise<Description> {
    if (!this.ref(state)) return { state: 'Not Found', ip: '', url: '' };
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await this.engine(state).getContainer(this.ref(state)).inspect({ abortSignal: ctx.signal });
    } catch (err) {
      if (isNotFound(err)) return { state: 'Not Found', ip: '', url: '' };
      return { state: 'Error', ip: '', url: '', stateError: this.translate(err, state).message };
    }
    const st = machineState(info.State);
    if (st !== 'Running') return { state: st, ip: '', url: '' };
    const ip = state.Publish ? '127.0.0.1' : containerIP(info, state.Network);
    const url = urlOf(info, state);
    return { state: st, ip, url, ...(ip ? {} : { ipError: `no address on network ${state.Network}` }) };
  }

  async getSSHInfo(ctx: DriverContext, state: DockerState): Promise<SSHInfo> {
    if (!this.ref(state)) throw new DriverError('not-found', `machine "${ctx.machine.name}" has no container: it was never created`);
    const base = { user: state.SSHUser, keyPath: state.SSHKeyPath, ...(state.SSHHostKey ? { hostKey: state.SSHHostKey } : {}) };
    let info: Dockerode.ContainerInspectInfo | undefined;
    try {
      info = await this.engine(state).getContainer(this.ref(state)).inspect({ abortSignal: ctx.signal });
    } catch (err) {
      if (!isNotFound(err) && !isConnectionError(err)) throw this.translate(err, state);
    }
    if (state.Publish) {
      const port = info ? publishedPort(info, SSH_PORT) : 0;
      return { ...base, host: '127.0.0.1', port: port || state.SSHPort };
    }
    const ip = (info && containerIP(info, state.Network)) || state.IPAddress;
    return { ...base, host: ip, port: SSH_PORT };
  }

  // ---- helpers ----

  // One client per engine for the life of the process: `ls` asks about many machines.
  private readonly engines = new Map<string, Dockerode>();

  private engine(state: DockerState): Dockerode {
    // State from an unconfigured machine has no host; the default engine is the honest guess.
    state = { ...state, DockerHost: state.DockerHost || DEFAULT_DOCKER_HOST, DockerCertPath: state.DockerCertPath || '' };
    const key = `${state.DockerHost}\n${state.DockerCertPath}`;
    const known = this.engines.get(key);
    if (known) return known;
    try {
      const docker = connectEngine({ host: state.DockerHost, certPath: state.DockerCertPath || undefined });
      this.engines.set(key, docker);
      return docker;
    } catch (err) {
      throw new DriverError('invalid-argument', `cannot use the Docker engine at ${state.DockerHost}: ${(err as Error).message}`, {
        flag: state.DockerCertPath ? 'docker-cert-path' : 'docker-host',
      });
    }
  }

  private ref(state: DockerState): string {
    return state.ContainerID || state.ContainerName || '';
  }

  private async ping(docker: Dockerode, state: DockerState, signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(10_000);
    try {
      // dockerode's types omit ping's options; the call takes an abortSignal.
      const ping = docker.ping.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
      await ping({ abortSignal: AbortSignal.any([signal, timeout]) });
    } catch (err) {
      if (signal.aborted) throw new AbortedError();
      throw unreachable(state, timeout.aborted ? 'no answer within 10 s' : engineMessage(err));
    }
  }

  private async inspect(state: DockerState, ctx: DriverContext): Promise<Dockerode.ContainerInspectInfo> {
    if (!this.ref(state)) throw new DriverError('not-found', `machine "${ctx.machine.name}" has no container: it was never created`);
    try {
      return await this.engine(state).getContainer(this.ref(state)).inspect({ abortSignal: ctx.signal });
    } catch (err) {
      throw this.translate(err, state, ctx.machine.name);
    }
  }

  private async container(state: DockerState, ctx: DriverContext): Promise<Dockerode.Container> {
    const info = await this.inspect(state, ctx);
    return this.engine(state).getContainer(info.Id);
  }

  /** The container of this machine, or undefined; never someone else's container of the same name. */
  private async findOwnContainer(docker: Dockerode, state: DockerState, ctx: DriverContext): Promise<string | undefined> {
    try {
      const info = await docker.getContainer(this.ref(state)).inspect();
      const labels = info.Config?.Labels ?? {};
      if (labels[LABEL_NAME] === ctx.machine.name && labels[LABEL_STORE] === ctx.machine.storePath) return info.Id;
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async checkNameFree(docker: Dockerode, state: DockerState, ctx: DriverContext): Promise<void> {
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await docker.getContainer(state.ContainerName).inspect({ abortSignal: ctx.signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw this.translate(err, state);
    }
    const labels = info.Config?.Labels ?? {};
    const ours = labels[LABEL_NAME] === ctx.machine.name && labels[LABEL_STORE] === ctx.machine.storePath;
    throw new DriverError(
      'already-exists',
      ours
        ? `a container named "${state.ContainerName}" is left over from an earlier machine of this store on ${state.DockerHost}; remove it with: docker rm -f -v ${state.ContainerName}`
        : `a container named "${state.ContainerName}" already exists on ${state.DockerHost}; choose another machine name or remove that container`,
    );
  }

  private async imageExists(docker: Dockerode, image: string): Promise<boolean> {
    try {
      await docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Creates the network when absent; true when this call made it. */
  private async ensureNetwork(docker: Dockerode, state: DockerState, ctx: DriverContext): Promise<boolean> {
    return withLock(
      networkLockKey(state),
      async () => {
        try {
          const info = (await docker.getNetwork(state.Network).inspect()) as { Driver?: string; Name?: string };
          if (info.Driver && info.Driver !== 'bridge' && info.Driver !== 'macvlan' && info.Driver !== 'ipvlan' && info.Driver !== 'overlay') {
            throw new DriverError('invalid-argument', `network "${state.Network}" uses the ${info.Driver} driver, which gives the machine no address of its own`, {
              flag: 'docker-network',
              detail: 'Use a bridge network, or a name that does not exist yet so the driver creates one.',
            });
          }
          return false;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        ctx.progress(`Creating network ${state.Network}...`);
        try {
          await docker.createNetwork({ Name: state.Network, Driver: 'bridge', CheckDuplicate: true, Labels: networkLabels() });
        } catch (err) {
          throw new DriverError('failed-precondition', `the Docker engine refused to create network "${state.Network}": ${engineMessage(err)}`, {
            flag: 'docker-network',
            detail: 'Pick another --docker-network, or create the network yourself (docker network create NAME).',
          });
        }
        return true;
      },
      ctx.signal,
    );
  }

  private async removeNetworkIfUnused(docker: Dockerode, state: DockerState): Promise<void> {
    const network = state.Network;
    if (!network) return;
    // The same lock as creation: a create waiting on it then finds the network gone and makes it anew.
    await withLock(networkLockKey(state), async () => {
      try {
        const info = (await docker.getNetwork(network).inspect()) as { Id: string; Labels?: Record<string, string> };
        // Only networks this driver made, and only once no container is on them.
        if (info.Labels?.[LABEL_MANAGED] !== 'true' || info.Labels?.[LABEL_ROLE] !== 'network') return;
        // Stopped containers are missing from the network's own list; the container list has them.
        const users = await docker.listContainers({ all: true, filters: JSON.stringify({ network: [info.Id] }) });
        if (users.length > 0) return;
        await docker.getNetwork(info.Id).remove();
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }

  /** Waits for the container to run, have an address and answer SSH; returns the address. */
  private async waitUntilUp(docker: Dockerode, state: DockerState, ctx: DriverContext, step: (phase: string) => void = () => undefined): Promise<string> {
    const container = docker.getContainer(this.ref(state));
    const until = Date.now() + RUNNING_TIMEOUT_MS;
    let info: Dockerode.ContainerInspectInfo;
    let ip = '';
    for (;;) {
      info = await container.inspect({ abortSignal: ctx.signal });
      if (info.State?.Running) {
        ip = state.Publish ? '127.0.0.1' : containerIP(info, state.Network);
        if (ip && (!state.Publish || publishedPort(info, SSH_PORT))) break;
      } else if (info.State?.Status === 'exited' || info.State?.Status === 'dead') {
        throw new DriverError('internal', `the machine's container stopped right after starting (exit code ${info.State.ExitCode})`, {
          detail: await logTail(container),
        });
      }
      if (Date.now() > until) throw new DriverError('deadline-exceeded', `the machine's container did not get an address on ${state.Network} within ${RUNNING_TIMEOUT_MS / 1000} s`);
      await sleep(200, ctx.signal);
    }
    step('address');
    const host = ip;
    const port = state.Publish ? publishedPort(info, SSH_PORT) : SSH_PORT;
    ctx.progress(`Waiting for SSH on ${host}:${port}...`);
    if (!(await waitForSSH(host, port, SSH_TIMEOUT_MS, ctx.signal))) {
      throw new DriverError('deadline-exceeded', `sshd in the machine did not answer on ${host}:${port} within ${SSH_TIMEOUT_MS / 1000} s`, {
        detail: await logTail(container),
      });
    }
    step('sshd');
    return ip;
  }

  private containerRefused(err: unknown, state: DockerState): unknown {
    const status = engineStatus(err);
    if (status === 409) {
      return new DriverError('already-exists', `a container named "${state.ContainerName}" already exists on ${state.DockerHost}; choose another machine name or remove that container`);
    }
    if (status === 404 && /image/i.test(engineMessage(err))) return missingImage(state);
    if (status !== undefined && status >= 400) {
      const message = engineMessage(err);
      const flag = /memory/i.test(message) ? 'docker-memory' : /cpu/i.test(message) ? 'docker-cpus' : /network/i.test(message) ? 'docker-network' : undefined;
      return new DriverError('invalid-argument', `the Docker engine refused the machine's container: ${message}; check ${flag ? `--${flag}` : 'the --docker-* flags'}`, { flag });
    }
    return err;
  }

  private translate(err: unknown, state: DockerState, machineName?: string): Error {
    if (err instanceof DriverError) return err;
    if (err instanceof AbortedError || (err as Error | undefined)?.name === 'AbortError') return new DriverError('cancelled', 'cancelled');
    if (isConnectionError(err)) return unreachable(state, engineMessage(err));
    if (isNotFound(err)) {
      const who = machineName ? `"${machineName}"` : 'this machine';
      return new DriverError('not-found', `the container of ${who} (${state.ContainerName}) no longer exists on ${state.DockerHost}`, {
        detail: machineName ? `Remove the machine with: machine rm -f ${machineName}` : undefined,
      });
    }
    return new DriverError('internal', `Docker engine error: ${engineMessage(err)}`, { cause: err });
  }
}

function unreachable(state: DockerState, why: string): DriverError {
  return new DriverError('unavailable', `cannot reach the Docker engine at ${state.DockerHost} (${why}); start it or point --docker-host at a running engine`, {
    flag: 'docker-host',
    detail: 'On this host, bash scripts/ensure-dockerd.sh starts a local dockerd.',
  });
}

function missingImage(state: DockerState): DriverError {
  return new DriverError(
    'failed-precondition',
    `the machine image ${state.Image} is not on the Docker engine at ${state.DockerHost}; build it with: machine image build --tag ${state.Image}`,
    { flag: 'docker-image', detail: 'Or pass --docker-image with an image that is on the engine.' },
  );
}

/** Two ports free on this host's loopback, for a machine's published SSH and engine ports. */
async function freeLoopbackPorts(): Promise<{ SSHPort: number; EnginePort: number }> {
  const net = await import('node:net');
  const servers = [net.createServer(), net.createServer()];
  // Both held open at once, so they differ.
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return { SSHPort: ports[0], EnginePort: ports[1] };
}

function urlOf(info: Dockerode.ContainerInspectInfo, state: DockerState): string {
  if (!info.State?.Running) return '';
  if (state.Publish) {
    const port = publishedPort(info, state.EnginePort);
    return port ? `tcp://127.0.0.1:${port}` : '';
  }
  const ip = containerIP(info, state.Network);
  return ip ? `tcp://${ip}:${ENGINE_PORT}` : '';
}

function networkLockKey(state: DockerState): string {
  return `${state.DockerHost} network ${state.Network}`;
}

function randomSuffix(): string {
  return Math.floor(Math.random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
}

async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    if (!isNotFound(err) && !/already in progress/.test(engineMessage(err))) throw err;
  }
}

async function removeVolume(docker: Dockerode, name: string): Promise<void> {
  // A force-removed container can hold its volume for a moment.
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getVolume(name).remove();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (engineStatus(err) !== 409 || attempt >= 20) throw err;
      await sleep(250);
    }
  }
}

async function logTail(container: Dockerode.Container): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer;
    return `Last lines of the container's output:\n${buf.toString('utf8').trim()}`;
  } catch {
    return '';
  }
}
