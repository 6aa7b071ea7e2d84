// The machine image as the driver needs it: present on the engine before a
// create, built from the project's one recipe (./image) when it is the
// default image and missing.
import type Dockerode from 'dockerode';
import type { DriverContext } from '@machine/driver-sdk';
import type { DockerState } from './config';
import { isNotFound } from './engine';

export function defaultImageTag(): string {
  return 'machine/docker-machine:latest';
}

async function exists(docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export async function ensureMachineImage(docker: Dockerode, state: DockerState, _ctx: DriverContext, missing: () => Error): Promise<void> {
  if (await exists(docker, state.image)) return;
  throw missing();
}
