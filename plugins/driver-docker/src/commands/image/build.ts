import { Flags } from '@oclif/core';
import { BaseCommand } from '../../command/oclif';
import { MachineError, errorMessage } from '../../errors';

// The image code ships with the docker driver (one recipe for the driver and
// the test hosts); the CLI loads it only for this command.
interface ImageModule {
  DEFAULT_MACHINE_IMAGE: string;
  buildMachineImage(opts: {
    docker: unknown;
    flavour: 'docker';
    tag?: string;
    force?: boolean;
    onProgress?: (line: string) => void;
    signal?: AbortSignal;
  }): Promise<string>;
}
interface EngineModule {
  DEFAULT_DOCKER_HOST: string;
  connectEngine(address: { host: string; certPath?: string }): { ping(): Promise<unknown> };
}

function loadDriverModule<T>(file: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve(`@machine/driver-docker/lib/${file}`)) as T;
  } catch (err) {
    throw new MachineError('internal', `the docker driver package (@machine/driver-docker) is not installed or not built: ${errorMessage(err)}; run npm run build`);
  }
}

export default class ImageBuild extends BaseCommand {
  static override summary = 'Build the machine image of the docker driver';
  static override description =
    'Builds Debian 12 with systemd, sshd and Docker Engine from Debian\'s packages (debootstrap, as root) and imports it into the engine. ' +
    '`machine create` with the docker driver does this by itself when the image is missing; this command does it ahead of time, under another tag, or again with --force.';
  static override examples = ['<%= config.bin %> image build', '<%= config.bin %> image build --force', '<%= config.bin %> image build --tag my/machine:1'];
  static override flags = {
    tag: Flags.string({ description: 'tag of the image (default: the docker driver\'s default image)', helpValue: 'REPO:TAG' }),
    force: Flags.boolean({ description: 'build even when an up-to-date image is present' }),
    'docker-host': Flags.string({ description: 'engine to import the image into (default: unix:///var/run/docker.sock)', env: 'MACHINE_DOCKER_HOST' }),
    'docker-cert-path': Flags.string({ description: 'directory with ca.pem, cert.pem and key.pem for a TLS tcp:// engine', env: 'MACHINE_DOCKER_CERT_PATH' }),
  };

  async run(): Promise<void> {
    await this.context();
    const { flags } = await this.parse(ImageBuild);
    const image = loadDriverModule<ImageModule>('image');
    const engine = loadDriverModule<EngineModule>('engine');
    const host = flags['docker-host'] || engine.DEFAULT_DOCKER_HOST;
    const tag = flags.tag || image.DEFAULT_MACHINE_IMAGE;

    let docker: { ping(): Promise<unknown> };
    try {
      docker = engine.connectEngine({ host, certPath: flags['docker-cert-path'] || undefined });
      await docker.ping();
    } catch (err) {
      throw new MachineError('driver', `cannot reach the Docker engine at ${host} (${errorMessage(err)}); start it or point --docker-host at a running engine`);
    }

    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const started = Date.now();
    this.log(`Building machine image ${tag} on ${host}...`);
    try {
      await image.buildMachineImage({
        docker,
        flavour: 'docker',
        tag,
        force: flags.force,
        signal: abort.signal,
        onProgress: (line) => this.log(`  ${line}`),
      });
    } catch (err) {
      if (abort.signal.aborted) throw new MachineError('internal', 'image build cancelled; nothing was tagged', { exitCode: 130 });
      throw new MachineError('internal', `building the machine image failed: ${errorMessage(err)}`);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    this.log(`Machine image ${tag} is ready (${((Date.now() - started) / 1000).toFixed(1)} s).`);
  }
}
