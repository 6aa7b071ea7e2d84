// The test-host facility's costs: how long a host takes from nothing to
// answering SSH, per flavour, and how long preparing the images takes when
// they are cached (the cost every test run pays before its suites).
import type { Report } from './run';
import { cleanupTestHosts, startHost, type TestHostFlavour } from '../hosts';
import { prepareImages } from '../hosts/images';

const RUNS = 5;

export async function bench(report: Report): Promise<void> {
  let started = performance.now();
  const images = await prepareImages();
  const built = images.filter((i) => i.built).length;
  // A build here would measure the cold path, not the cached one.
  if (built === 0) report('prepare images (cached)', [performance.now() - started]);

  try {
    for (const flavour of ['docker', 'nodocker', 'sudo-user', 'sysvinit'] as TestHostFlavour[]) {
      const samples: number[] = [];
      const stopStart: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        started = performance.now();
        const host = await startHost({ flavour });
        samples.push(performance.now() - started);
        started = performance.now();
        await host.stop();
        await host.start();
        stopStart.push(performance.now() - started);
        await host.remove();
      }
      report(`start host until SSH answers (${flavour})`, samples);
      report(`stop and start until SSH answers (${flavour})`, stopStart);
    }
  } finally {
    await cleanupTestHosts();
  }
}
