// The machine image as a create needs it: present on the engine, and built
// from the project's one recipe (image.ts) when it is the default image and
// missing. A custom --docker-image is never built: that would hide a typo.
import type Dockerode from 'dockerode';
import { DriverError, type DriverContext } from '@machine/driver-sdk';
import type { DockerState } from './config';
import { engineMessage, isNotFound } from './engine';
import { DEFAULT_MACHINE_IMAGE, ImageBuildError, LABEL_STOP_SIGNAL, buildMachineImage, imageIsCurrent } from './image';
import { AbortedError } from './wait';

export function defaultImageTag(): string {
  return DEFAULT_MACHINE_IMAGE;
}

/** Systemd's clean-halt signal, unless the image says otherwise. */
const DEFAULT_STOP_SIGNAL = 'SIGRTMIN+3';

async function inspectImage(docker: Dockerode, tag: string): Promise<Dockerode.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(tag).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Makes sure the image is on the engine and returns the signal that stops
 * its init cleanly. `missing` builds the error for an image that is absent
 * and will not be built.
 */
export async function ensureMachineImage(docker: Dockerode, state: DockerState, ctx: DriverContext, missing: () => Error): Promise<string> {
  const present = await inspectImage(docker, state.Image);
  if (present) {
    if (state.Image === DEFAULT_MACHINE_IMAGE) await warnIfStale(docker, ctx);
    return present.Config?.Labels?.[LABEL_STOP_SIGNAL] || DEFAULT_STOP_SIGNAL;
  }
  if (state.Image !== DEFAULT_MACHINE_IMAGE) throw missing();

  ctx.progress(`Building the machine image ${state.Image}; only the first create does this, and it takes a few minutes...`);
  try {
    await buildMachineImage({ docker, flavour: 'docker', tag: state.Image, onProgress: (line) => ctx.progress(line), signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted || (err as Error).name === 'AbortError') throw new AbortedError();
    const output = err instanceof ImageBuildError ? err.output.slice(-15).join('\n') : undefined;
    throw new DriverError(
      'failed-precondition',
      `the machine image ${state.Image} is missing and building it failed (${err instanceof Error ? err.message : engineMessage(err)}); fix that and run: machine image build`,
      { flag: 'docker-image', detail: output },
    );
  }
  const built = await inspectImage(docker, state.Image);
  if (!built) throw missing();
  return built.Config?.Labels?.[LABEL_STOP_SIGNAL] || DEFAULT_STOP_SIGNAL;
}

async function warnIfStale(docker: Dockerode, ctx: DriverContext): Promise<void> {
  let current: boolean;
  try {
    current = await imageIsCurrent({ docker, flavour: 'docker', tag: DEFAULT_MACHINE_IMAGE });
  } catch (err) {
    // Without the recipe at hand (an unusual install), staleness is unknowable; say nothing.
    ctx.log.debug('could not tell whether the machine image is current', { error: engineMessage(err) });
    return;
  }
  if (!current) {
    ctx.warn(`The machine image ${DEFAULT_MACHINE_IMAGE} is older than its recipe`, 'Rebuild it with: machine image build --force');
  }
}
