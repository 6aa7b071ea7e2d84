import { Args, Flags, type Interfaces } from '@oclif/core';
import type { FlagSpec } from '@machine/driver-sdk';
import { BaseCommand } from '../command/oclif';
import { MachineError, errorMessage } from '../errors';
import { machineNameProblem } from '../names';

const SHARED_FLAGS = {
  driver: Flags.string({ char: 'd', description: 'Driver to create the machine with [default: $MACHINE_DRIVER, else "docker" when a local engine answers at /var/run/docker.sock]', helpValue: '<name>' }),
  'engine-install-url': Flags.string({
    description: 'How to install Docker when the host lacks it: an install script URL, "distro" for the distribution\'s own packages, or "none" to never install',
    env: 'MACHINE_DOCKER_INSTALL_URL',
    default: 'https://get.docker.com',
  }),
  'engine-opt': Flags.string({ description: 'Flag for the Docker daemon, as flag=value (repeatable)', multiple: true, multipleNonGreedy: true }),
  'engine-insecure-registry': Flags.string({ description: 'Insecure registry the daemon may use (repeatable)', multiple: true, multipleNonGreedy: true }),
  'engine-registry-mirror': Flags.string({ description: 'Registry mirror for the daemon (repeatable)', multiple: true, multipleNonGreedy: true, env: 'ENGINE_REGISTRY_MIRROR' }),
  'engine-label': Flags.string({ description: 'Label for the daemon, as key=value (repeatable)', multiple: true, multipleNonGreedy: true }),
  'engine-storage-driver': Flags.string({ description: 'Storage driver for the daemon (an engine that already has one keeps it)' }),
  'engine-env': Flags.string({ description: 'Environment variable for the daemon, as NAME=VALUE (repeatable)', multiple: true, multipleNonGreedy: true }),
  swarm: Flags.boolean({ description: 'Configure the machine to join a Swarm (classic) cluster' }),
  'swarm-image': Flags.string({ description: 'Swarm image', env: 'MACHINE_SWARM_IMAGE', default: 'swarm:latest' }),
  'swarm-master': Flags.boolean({ description: 'Configure the machine to be a Swarm master' }),
  'swarm-discovery': Flags.string({ description: 'Discovery service to use with Swarm' }),
  'swarm-strategy': Flags.string({ description: 'Swarm scheduling strategy', default: 'spread' }),
  'swarm-opt': Flags.string({ description: 'Swarm master option, as flag=value (repeatable)', multiple: true, multipleNonGreedy: true }),
  'swarm-join-opt': Flags.string({ description: 'Swarm join option, as flag=value (repeatable)', multiple: true, multipleNonGreedy: true }),
  'swarm-host': Flags.string({ description: 'Address the Swarm master listens on', default: 'tcp://0.0.0.0:3376' }),
  'swarm-addr': Flags.string({ description: 'Address to advertise for Swarm (default: the machine\'s IP)' }),
  'swarm-experimental': Flags.boolean({ description: 'Enable Swarm experimental features' }),
  'tls-san': Flags.string({ description: 'Extra name or address for the server certificate (repeatable)', multiple: true, multipleNonGreedy: true }),
  'keep-on-failure': Flags.boolean({ description: 'Keep the machine and whatever the driver made when create fails, for debugging' }),
  json: Flags.boolean({ description: 'Print the result as JSON on stdout (progress goes to stderr)' }),
};

/** oclif flags for a driver's schema. */
export function oclifDriverFlags(schema: FlagSpec[]): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {};
  for (const f of schema) {
    const common = { description: f.description, env: f.envVar || undefined, helpGroup: 'DRIVER', required: f.required === true };
    if (f.type === 'bool') out[f.name] = Flags.boolean({ ...common, allowNo: true });
    else if (f.type === 'int') out[f.name] = Flags.integer({ ...common, default: typeof f.default === 'number' ? f.default : undefined });
    else if (f.type === 'string-list') out[f.name] = Flags.string({ ...common, multiple: true, multipleNonGreedy: true, default: Array.isArray(f.default) ? f.default.map(String) : undefined });
    else out[f.name] = Flags.string({ ...common, default: typeof f.default === 'string' && f.default !== '' ? f.default : undefined });
  }
  return out;
}

export default class Create extends BaseCommand {
  static override summary = 'Create a machine';
  static override description =
    'Creates a machine with the chosen driver and provisions Docker on it. The driver\'s own flags are listed by "machine create -d DRIVER --help".';
  static override examples = [
    '<%= config.bin %> create -d generic --generic-ip-address 203.0.113.10 --generic-ssh-key ~/.ssh/id_ed25519 web',
    '<%= config.bin %> create -d none --url tcp://203.0.113.10:2376 existing',
  ];
  static override args = { name: Args.string({ description: 'machine name', required: true }) };
  static override flags: Interfaces.FlagInput = { ...SHARED_FLAGS };
  static override strict = true;
  private serverKey?: Promise<import('../certs/generate').KeyPairPem>;
  /** Time before createMachine: process start-up and the driver's launch. */
  private readonly phases: Record<string, number> = {};

  async run(): Promise<void> {
    const { reported } = await import('../lifecycle/command-env');
    return reported(async () => {
      // RSA key generation runs on the thread pool: start it now, while the driver launches.
      const { generateRsaKey } = await import('../certs/generate');
      this.serverKey = generateRsaKey();
      this.serverKey.catch(() => undefined);
      const { chooseDriver, driverFlagValues, engineOptionsFrom, swarmOptionsFrom } = await import('../lifecycle/create-flags');
      const driverName = await chooseDriver(this.argv, process.env);
      // The command context parses the whole command line, driver flags
      // included, so the driver is started first, outside the context.
      const { DriverRegistry } = await import('../discovery/registry');
      const debug = this.argv.some((a) => a === '-D' || a === '--debug') || /^(1|true)$/i.test(process.env.MACHINE_DEBUG ?? '');
      const registry = new DriverRegistry({ debug, env: process.env });
      try {
        this.phases.startup = Math.round(performance.now());
        const launchStart = performance.now();
        const driver = await registry.get(driverName);
        const schema = await driver.schema();
        this.phases.driverLaunch = Math.round(performance.now() - launchStart);
        Create.flags = { ...SHARED_FLAGS, ...oclifDriverFlags(schema) };
        await this.createWith(driverName, driver, schema, { driverFlagValues, engineOptionsFrom, swarmOptionsFrom });
      } finally {
        await registry.closeAll();
      }
    });
  }

  private async createWith(
    driverName: string,
    driver: import('@machine/driver-sdk').DriverClient,
    schema: FlagSpec[],
    helpers: Pick<typeof import('../lifecycle/create-flags'), 'driverFlagValues' | 'engineOptionsFrom' | 'swarmOptionsFrom'>,
  ): Promise<void> {
    const { driverFlagValues, engineOptionsFrom, swarmOptionsFrom } = helpers;
    const ctx = await this.context();
    const { flags, args } = await this.parse({
      flags: Create.flags,
      baseFlags: (this.constructor as typeof BaseCommand).baseFlags,
      args: Create.args,
      strict: true,
    });
    const name = args.name as string;
    const problem = machineNameProblem(name);
    if (problem) {
      throw new MachineError('invalid-name', `Error creating machine: Invalid hostname specified. "${name}" is not a valid machine name: ${problem}.`);
    }
    if (ctx.store.exists(name)) throw new MachineError('already-exists', `Docker machine "${name}" already exists`);

    const all = flags as Record<string, unknown>;
    const json = all.json === true;
    const { Progress } = await import('../lifecycle/progress');
    const progress = new Progress({ stream: json ? process.stderr : process.stdout, plain: json });
    const { onInterrupt } = await import('../discovery/registry');
    const { createMachine } = await import('../lifecycle/create');

    const abort = new AbortController();
    let running: Promise<unknown> = Promise.resolve();
    const unregister = onInterrupt(async () => {
      progress.line('Interrupted; cleaning up...');
      // A second Ctrl-C must not cut the rollback short.
      process.on('SIGINT', () => progress.line('Still cleaning up, please wait...'));
      abort.abort();
      await running.catch(() => undefined);
    });
    const started = performance.now();
    const creating = createMachine({
      store: ctx.store,
      driver,
      name,
      driverFlags: driverFlagValues(schema, all),
      engine: engineOptionsFrom(all),
      swarm: swarmOptionsFrom(all),
      tlsSans: (all['tls-san'] as string[] | undefined) ?? [],
      tls: { caCert: ctx.global.tlsCaCert, caKey: ctx.global.tlsCaKey, clientCert: ctx.global.tlsClientCert, clientKey: ctx.global.tlsClientKey },
      keepOnFailure: all['keep-on-failure'] === true,
      progress,
      signal: abort.signal,
      serverKey: this.serverKey,
    });
    running = creating;
    let result: Awaited<typeof creating>;
    try {
      result = await creating;
    } catch (err) {
      progress.done();
      if (abort.signal.aborted) {
        // The interrupt handler ends the process (exit 130) once the rollback is over.
        await new Promise(() => undefined);
      }
      if (err instanceof MachineError) throw err;
      throw new MachineError('driver', `Error creating machine: ${errorMessage(err)}`, { cause: err });
    } finally {
      unregister();
    }
    progress.done();
    const totalMs = Math.round(performance.now() - started);
    if (json) {
      const out = {
        Name: name,
        DriverName: driverName,
        URL: result.host.Machine?.LastURL ?? '',
        IP: result.host.Machine?.LastIP ?? '',
        DockerVersion: result.provision?.dockerVersion ?? '',
        Provisioner: result.provision?.provisioner ?? '',
        InstalledDocker: result.provision?.installedDocker ?? false,
        Warnings: result.warnings,
        Phases: { ...this.phases, ...result.phases },
        TotalMs: totalMs,
      };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return;
    }
    ctx.debug(`phases (ms): ${JSON.stringify(result.phases)} total ${totalMs}`);
    ctx.out(`To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env ${name}`);
  }
}
