import type { FlagSpec } from '@machine/driver-sdk';
import type { SharedCreateValues } from '../command/create-flags';
import type { CommandContext } from '../command/context';
import type { FlagDefs, ParsedFlags } from '../command/flags';
import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';
import { newMachineNameProblem } from '../names';

const SHARED_FLAGS: FlagDefs = {
  driver: { type: 'string', char: 'd', description: 'Driver to create the machine with [default: $MACHINE_DRIVER, else "docker" when a local engine answers at /var/run/docker.sock]', helpValue: '<name>' },
  'engine-install-url': { type: 'string', 
    description: 'How to install Docker when the host lacks it: an install script URL, "distro" for the distribution\'s own packages, or "none" to never install',
    env: 'MACHINE_DOCKER_INSTALL_URL',
    default: 'https://get.docker.com',
  },
  'engine-opt': { type: 'string', description: 'Flag for the Docker daemon, as flag=value (repeatable)', multiple: true, oneValueEach: true },
  'engine-insecure-registry': { type: 'string', description: 'Insecure registry the daemon may use (repeatable)', multiple: true, oneValueEach: true },
  'engine-registry-mirror': { type: 'string', description: 'Registry mirror for the daemon (repeatable)', multiple: true, oneValueEach: true, env: 'ENGINE_REGISTRY_MIRROR' },
  'engine-label': { type: 'string', description: 'Label for the daemon, as key=value (repeatable)', multiple: true, oneValueEach: true },
  'engine-storage-driver': { type: 'string', description: 'Storage driver for the daemon (an engine that already has one keeps it)' },
  'engine-env': { type: 'string', description: 'Environment variable for the daemon, as NAME=VALUE (repeatable)', multiple: true, oneValueEach: true },
  'swarm-mode': {
    type: 'string',
    description: 'Make the machine a swarm-mode node: "manager" (initialises a swarm, or joins one with --swarm-join) or "worker" (needs --swarm-join)',
    options: ['manager', 'worker'],
  },
  'swarm-join': { type: 'string', description: 'Machine of a swarm manager whose swarm to join', helpValue: '<machine>' },
  'swarm-advertise-addr': { type: 'string', description: 'Address other swarm nodes reach this one at (default: the machine\'s IP)', helpValue: '<ip>' },
  swarm: { type: 'boolean', description: 'Swarm classic: mapped to --swarm-mode worker joining the manager among the machines' },
  'swarm-image': { type: 'string', description: 'Swarm image', env: 'MACHINE_SWARM_IMAGE', default: 'swarm:latest' },
  'swarm-master': { type: 'boolean', description: 'Swarm classic: mapped to --swarm-mode manager' },
  'swarm-discovery': { type: 'string', description: 'Discovery service to use with Swarm' },
  'swarm-strategy': { type: 'string', description: 'Swarm scheduling strategy', default: 'spread' },
  'swarm-opt': { type: 'string', description: 'Swarm master option, as flag=value (repeatable)', multiple: true, oneValueEach: true },
  'swarm-join-opt': { type: 'string', description: 'Swarm join option, as flag=value (repeatable)', multiple: true, oneValueEach: true },
  'swarm-host': { type: 'string', description: 'Address the Swarm master listens on', default: 'tcp://0.0.0.0:3376' },
  'swarm-addr': { type: 'string', description: 'Address to advertise for Swarm (default: the machine\'s IP)' },
  'swarm-experimental': { type: 'boolean', description: 'Enable Swarm experimental features' },
  'tls-san': { type: 'string', description: 'Extra name or address for the server certificate (repeatable)', multiple: true, oneValueEach: true },
  'keep-on-failure': { type: 'boolean', description: 'Keep the machine and whatever the driver made when create fails, for debugging' },
  json: { type: 'boolean', description: 'Print the result as JSON on stdout (progress goes to stderr)' },
  quiet: { type: 'boolean', description: 'Plain progress lines even on a terminal (no live line or bar), as when piped' },
};

/** Flag definitions for a driver's schema. */
export function driverFlagDefs(schema: FlagSpec[]): FlagDefs {
  const out: FlagDefs = {};
  for (const f of schema) {
    const common = { description: f.description, env: f.envVar || undefined, helpGroup: 'DRIVER', required: f.required === true };
    if (f.type === 'bool') out[f.name] = { ...common, type: 'boolean', allowNo: true };
    else if (f.type === 'int') out[f.name] = { ...common, type: 'integer', default: typeof f.default === 'number' ? f.default : undefined };
    else if (f.type === 'string-list') {
      out[f.name] = { ...common, type: 'string', multiple: true, oneValueEach: true, default: Array.isArray(f.default) ? f.default.map(String) : undefined };
    } else out[f.name] = { ...common, type: 'string', default: typeof f.default === 'string' && f.default !== '' ? f.default : undefined };
  }
  return out;
}

/** The driver's flags the user gave: a list flag left empty keeps the driver's own default. */
function givenDriverFlags(schema: FlagSpec[], flags: ParsedFlags): ParsedFlags {
  const out: ParsedFlags = {};
  for (const f of schema) {
    const v = flags[f.name];
    if (!(Array.isArray(v) && v.length === 0)) out[f.name] = v;
  }
  return out;
}

/** What create prepares while the command line is still being parsed: the driver, and the server key. */
interface Prepared {
  driverName: string;
  driver: import('@machine/driver-sdk').DriverClient;
  schema: FlagSpec[];
  serverKey: Promise<import('../certs/generate').KeyPairPem>;
  /** Time before createMachine: process start-up and the driver's launch. */
  phases: Record<string, number>;
}
const preparedFor = new WeakMap<CommandContext, Prepared>();

export const spec: CommandSpec = {
  id: 'create',
  summary: 'Create a machine',
  description:
    'Creates a machine with the chosen driver and provisions Docker on it. The driver\'s own flags are listed by "machine create -d DRIVER --help".',
  examples: [
    '<%= config.bin %> create -d generic --generic-ip-address 203.0.113.10 --generic-ssh-key ~/.ssh/id_ed25519 web',
    '<%= config.bin %> create -d none --url tcp://203.0.113.10:2376 existing',
  ],
  // Not required of the parser: a missing name gets the reference's text below.
  args: [{ name: 'name', description: 'machine name' }],
  // Words after the name get the reference's text below, not a usage dump.
  extraWords: true,
  flags: SHARED_FLAGS,
  // The driver's flags come from its schema, so the driver starts before the
  // command line is parsed in full.
  async extraFlags(ctx, argv) {
    // RSA key generation runs on the thread pool: start it now, while the driver launches.
    const { generateRsaKey } = await import('../certs/generate');
    const serverKey = generateRsaKey();
    serverKey.catch(() => undefined);
    const { chooseDriver } = await import('../command/create-flags');
    const driverName = await chooseDriver(argv, ctx.env);
    const startup = Math.round(performance.now());
    const launchStart = performance.now();
    const driver = await ctx.registry.get(driverName);
    const schema = await driver.schema();
    preparedFor.set(ctx, { driverName, driver, schema, serverKey, phases: { startup, driverLaunch: Math.round(performance.now() - launchStart) } });
    return driverFlagDefs(schema);
  },
  async run(ctx, { args, flags }) {
    const prep = preparedFor.get(ctx);
    if (!prep) throw new MachineError('internal', 'create ran without its driver');
    const { driverName, driver, schema } = prep;
    const { driverFlagValues, engineOptionsFrom, swarmOptionsFrom } = await import('../command/create-flags');
    // Go prints the extra words as a []string: [b c].
    if (args.length > 1) throw new MachineError('usage', `Invalid command line. Found extra arguments [${args.slice(1).join(' ')}]`);
    const name = args[0];
    if (name === undefined || name === '') throw new MachineError('usage', 'Error: No machine name specified');
    const problem = newMachineNameProblem(name);
    if (problem) {
      throw new MachineError('invalid-name', `Error creating machine: Invalid hostname specified. "${name}" is not a valid machine name: ${problem}.`);
    }
    if (ctx.store.exists(name)) throw ctx.store.alreadyExists(name);

    const all = flags;
    const json = all.json === true;
    const { Progress } = await import('../command/progress');
    const progress = new Progress({ stream: json ? process.stderr : process.stdout, plain: json || all.quiet === true });
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
    const swarm = await planSwarm(ctx, all, (l) => progress.line(l));
    const creating = createMachine({
      store: ctx.store,
      driver,
      name,
      // The role rides along with the driver's own flags (no driver may declare a swarm* flag), so that a
      // cloud driver can open the swarm ports, as the reference's drivers read --swarm-master.
      driverFlags: { ...driverFlagValues(schema, givenDriverFlags(schema, all)), ...(swarm ? { 'swarm-mode': swarm.role } : {}) },
      engine: engineOptionsFrom(all as SharedCreateValues),
      swarm: swarmOptionsFrom(all as SharedCreateValues),
      tlsSans: (all['tls-san'] as string[] | undefined) ?? [],
      tls: { caCert: ctx.global.tlsCaCert, caKey: ctx.global.tlsCaKey, clientCert: ctx.global.tlsClientCert, clientKey: ctx.global.tlsClientKey },
      keepOnFailure: all['keep-on-failure'] === true,
      progress,
      signal: abort.signal,
      serverKey: prep.serverKey,
      afterProvision: swarm?.join,
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
      throw MachineError.from(err, 'driver', 'Error creating machine');
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
        Phases: { ...prep.phases, ...result.phases },
        TotalMs: totalMs,
      };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return;
    }
    ctx.debug(`phases (ms): ${JSON.stringify(result.phases)} total ${totalMs}`);
    ctx.out(`To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: machine env ${name}`);
  },
};

/**
 * The swarm role create gives the machine and the step that joins it once it
 * is provisioned, or undefined. A manager to join is checked now (running,
 * reachable, a manager), so that a wrong one fails before anything is made.
 */
async function planSwarm(
  ctx: CommandContext,
  values: Record<string, unknown>,
  notice: (line: string) => void,
): Promise<{ role: import('../swarm/engine').SwarmRole; join: (host: import('../store/types').HostConfig) => Promise<void> } | undefined> {
  const { swarmPlanFrom } = await import('../swarm/create-options');
  const cluster = await import('../swarm/cluster');
  const { connectionCheck } = await import('../query/machine-info');
  const store = ctx.store;
  const { plan, notices } = swarmPlanFrom(values, () => {
    for (const e of store.list()) if (e.host && cluster.swarmRecord(e.host)?.Role === 'manager') return e.name;
    return undefined;
  });
  notices.forEach((n) => notice(`Notice: ${n}`));
  if (!plan) return undefined;
  const manager = plan.join === undefined ? undefined : await cluster.checkManager(store, plan.join, (h) => connectionCheck(ctx, h));
  return {
    role: plan.role,
    join: async (host) => {
      if (manager) {
        notice(`Joining the swarm of "${manager.host.Name}" as a ${plan.role}...`);
        await cluster.joinCluster(store, host, plan.role, manager, plan.advertiseAddr);
      } else {
        notice('Initialising a new swarm with this machine as its first manager...');
        await cluster.initCluster(store, host, plan.advertiseAddr);
      }
    },
  };
}
