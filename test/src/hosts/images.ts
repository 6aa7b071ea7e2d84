// The machine images the test hosts boot from, built by the project's one
// recipe (plugins/driver-docker/image) and cached on the engine.
import type { ImageFlavour } from '@machine/driver-docker/lib/image';
import { engine } from './hosts';

export interface PreparedImage {
  flavour: ImageFlavour;
  tag: string;
  built: boolean;
  ms: number;
}

/** Builds every image flavour that is missing or out of date; fast when all are current. */
export async function prepareImages(opts: { onProgress?: (flavour: ImageFlavour, line: string) => void; signal?: AbortSignal } = {}): Promise<PreparedImage[]> {
  const { buildMachineImage, imageIsCurrent, imageTag, IMAGE_FLAVOURS } = await import('@machine/driver-docker/lib/image');
  const docker = engine();
  const results: PreparedImage[] = [];
  // One at a time: the flavours share the cached base and .deb files, and
  // this machine's two cores are shared too.
  for (const flavour of IMAGE_FLAVOURS) {
    const started = Date.now();
    const current = await imageIsCurrent({ docker, flavour });
    if (!current) {
      await buildMachineImage({ docker, flavour, signal: opts.signal, onProgress: (line) => opts.onProgress?.(flavour, line) });
    }
    results.push({ flavour, tag: imageTag(flavour), built: !current, ms: Date.now() - started });
  }
  return results;
}
