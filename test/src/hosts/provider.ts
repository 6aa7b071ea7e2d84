// Real machines behind a cloud fake's instances: each launch starts a test
// host with the instance's user and authorized keys.
import type { BackingHost, HostProvider, LaunchSpec } from '../fakes/common/hosts';
import { startHost, type TestHost, type TestHostFlavour, type TestNetwork } from './hosts';

export interface TestHostProviderOptions {
  /** Which flavour backs a cloud image; default 'docker' (Docker present, so provisioning skips the install). */
  flavourFor?: (image: string) => TestHostFlavour;
  /** Default: this run's own network. */
  network?: TestNetwork | string;
}

export class TestHostProvider implements HostProvider {
  readonly hosts: TestHost[] = [];

  constructor(private readonly opts: TestHostProviderOptions = {}) {}

  async launch(spec: LaunchSpec): Promise<BackingHost> {
    const flavour = this.opts.flavourFor?.(spec.image) ?? 'docker';
    const host = await startHost({
      flavour,
      network: this.opts.network,
      user: spec.user,
      authorizedKeys: spec.authorizedKeys,
      name: undefined,
    });
    this.hosts.push(host);
    return {
      get ip() {
        return host.ip;
      },
      stop: () => host.stop(),
      start: async () => {
        await host.start();
        return host.ip;
      },
      reboot: async () => {
        await host.stop();
        await host.start();
        return host.ip;
      },
      destroy: () => host.remove(),
    };
  }

  /** Removes every host this provider launched. */
  async removeAll(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.remove()));
    this.hosts.length = 0;
  }
}
