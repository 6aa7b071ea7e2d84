// `machine image build`, offered by this driver as an oclif command: the
// core lists this package as an oclif plugin, so the command comes with the
// driver and the core never loads the driver's code itself.
import { Command, Flags } from '@oclif/core';
import { Progress } from '@machine/driver-sdk/progress';
import { DEFAULT_DOCKER_HOST, connectEngine } from '../../engine';
import { DEFAULT_MACHINE_IMAGE, buildMachineImage } from '../../image';

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export default class ImageBuild extends Command {
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
    quiet: Flags.boolean({ description: 'Plain progress lines even on a terminal (no live line), as when piped' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageBuild);
    const host = flags['docker-host'] || DEFAULT_DOCKER_HOST;
    const tag = flags.tag || DEFAULT_MACHINE_IMAGE;

    let docker: ReturnType<typeof connectEngine>;
    try {
      docker = connectEngine({ host, certPath: flags['docker-cert-path'] || undefined });
      await docker.ping();
    } catch (err) {
      return this.fail(`cannot reach the Docker engine at ${host} (${errorMessage(err)}); start it or point --docker-host at a running engine`);
    }

    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const started = Date.now();
    // The same rendering as create's: on a terminal each step of the build is
    // the live line with its clock, kept with its duration; else plain lines.
    const progress = new Progress({ plain: flags.quiet });
    progress.line(`Building machine image ${tag} on ${host}...`);
    try {
      await buildMachineImage({
        docker,
        flavour: 'docker',
        tag,
        force: flags.force,
        signal: abort.signal,
        onProgress: (line) => progress.step(`  ${line}`),
      });
    } catch (err) {
      progress.done();
      if (abort.signal.aborted) return this.fail('image build cancelled; nothing was tagged', 130);
      return this.fail(`building the machine image failed: ${errorMessage(err)}`);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    progress.done();
    this.log(`Machine image ${tag} is ready (${((Date.now() - started) / 1000).toFixed(1)} s).`);
  }

  /** The message alone on stderr, as the core prints its own errors, then the exit code. */
  private fail(message: string, code = 1): never {
    process.stderr.write(message + '\n');
    return this.exit(code);
  }
}
