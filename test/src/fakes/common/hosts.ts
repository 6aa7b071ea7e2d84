// What a cloud fake needs from the machines behind its instances or droplets.
// The test-host facility provides real ones (containers with sshd); the
// address-only provider gives instances addresses that are never contacted,
// for wire-level tests.

export interface LaunchSpec {
  /** The cloud's id for the instance, for names and logs. */
  id: string;
  /** User that gets the authorized keys (the image's default user). */
  user: string;
  authorizedKeys: string[];
  /** The cloud image the instance was launched from. */
  image: string;
}

export interface BackingHost {
  /** Address reachable from the test process; changes across stop/start. */
  readonly ip: string;
  stop(): Promise<void>;
  /** Starts the host again; resolves with its (possibly new) address. */
  start(): Promise<string>;
  /** Restarts in place; resolves with its address. */
  reboot(): Promise<string>;
  destroy(): Promise<void>;
}

export interface HostProvider {
  launch(spec: LaunchSpec): Promise<BackingHost>;
}

/**
 * Hosts that exist only as addresses in TEST-NET-2 (198.51.100.0/24, never
 * routed), so instances can be created, stopped and started without
 * containers. A new address on each start, as a cloud gives without a fixed IP.
 */
export class AddressOnlyHosts implements HostProvider {
  private next = 10;
  readonly launched: { spec: LaunchSpec; host: BackingHost }[] = [];

  private address(): string {
    const n = this.next++;
    return `198.51.100.${(n % 240) + 10}`;
  }

  async launch(spec: LaunchSpec): Promise<BackingHost> {
    const provider = this; // eslint-disable-line @typescript-eslint/no-this-alias
    let ip = this.address();
    let destroyed = false;
    const host: BackingHost = {
      get ip() {
        return ip;
      },
      async stop() {},
      async start() {
        ip = provider.address();
        return ip;
      },
      async reboot() {
        return ip;
      },
      async destroy() {
        destroyed = true;
      },
    };
    Object.defineProperty(host, 'destroyed', { get: () => destroyed });
    this.launched.push({ spec, host });
    return host;
  }
}
