// start, stop, restart, kill, provision, regenerate-certs and upgrade, for
// one or several machines at once (concurrently, like the reference), each
// under its machine's lock. After a start or restart the machine's address
// is checked against its server certificate, and a moved machine gets new
// certificates without the user asking.
import type { DriverClient, MachineStateName } from '@machine/driver-sdk';
import { checkServerCertHost } from '../certs/inspect';
import { MachineError, errorMessage } from '../errors';
import { waitForDaemon, waitForState } from '../wait';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import { applyOutcome, engineURL, machineCall, machineTLS, setExtra } from './machine';
import { provisionMachine } from './provision-machine';
import { upgradeDocker } from './upgrade';

export interface ActionEnv {
  store: Store;
  registry: { get(name: string): Promise<DriverClient> };
  out: (line: string) => void;
  err: (line: string) => void;
  signal?: AbortSignal;
  /** Wait for the driver to report the target state (default 180 s). */
  stateTimeoutMs?: number;
}

export type ActionName = 'start' | 'stop' | 'restart' | 'kill' | 'provision' | 'regenerate-certs' | 'upgrade';

export interface ActionOptions {
  /** provision: accept a changed SSH host key. */
  resetHostKey?: boolean;
}

/** What start and restart print once every machine has booted, as the reference does. */
const NEW_ADDRESS_HINT: Partial<Record<ActionName, string>> = {
  start: 'Started machines may have new IP addresses. You may need to re-run the `machine env` command.',
  restart: 'Restarted machines may have new IP addresses. You may need to re-run the `machine env` command.',
};

/**
 * Runs `action` on every machine concurrently; fails with every machine's
 * error if any failed. start's and restart's hint comes once, after all
 * machines, and only when none failed.
 */
export async function runAction(env: ActionEnv, action: ActionName, names: string[], options: ActionOptions = {}): Promise<void> {
  const results = await Promise.allSettled(names.map((name) => runOne(env, action, name, options)));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
  if (errors.length === 1) {
    const only = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw MachineError.from(only?.reason);
  }
  if (errors.length) throw new MachineError('driver', errors.join('\n'));
  const hint = NEW_ADDRESS_HINT[action];
  if (hint) env.out(hint);
}

async function runOne(env: ActionEnv, action: ActionName, name: string, options: ActionOptions): Promise<void> {
  return env.store.withLock(name, async () => {
    const host = env.store.load(name);
    const driver = await env.registry.get(host.DriverName);
    const save = () => env.store.save(host);
    switch (action) {
      case 'start':
        return start(env, host, driver, save);
      case 'stop':
        return stopLike(env, host, driver, save, 'stop');
      case 'kill':
        return stopLike(env, host, driver, save, 'kill');
      case 'restart':
        return restart(env, host, driver, save);
      case 'provision':
        return reprovision(env, host, driver, save, options.resetHostKey === true);
      case 'regenerate-certs':
        return reprovision(env, host, driver, save, false);
      case 'upgrade':
        return upgrade(env, host, driver, save);
    }
  });
}

async function currentState(env: ActionEnv, host: HostConfig, driver: DriverClient): Promise<MachineStateName> {
  return driver.getState(machineCall(env.store, host), { signal: env.signal, timeoutMs: 60_000 });
}

async function start(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void): Promise<void> {
  const name = host.Name;
  env.out(`Starting "${name}"...`);
  if ((await currentState(env, host, driver)) === 'Running') {
    // Certificates still follow a moved machine; the command fails all the same, as the reference's does.
    await followAddress(env, host, driver, save);
    throw alreadyIn(name, 'Running');
  }
  const outcome = await driver.start(machineCall(env.store, host), { signal: env.signal, onProgress: (m) => env.out(`(${name}) ${m}`) });
  outcome.warnings.forEach((w) => env.err(`Warning: ${w.summary}`));
  if (applyOutcome(host, outcome)) save();
  await waitForState(driver, machineCall(env.store, host), 'Running', env.stateTimeoutMs ?? 180_000, env.signal);
  env.out(`Machine "${name}" was started.`);
  await afterBoot(env, host, driver, save);
}

async function stopLike(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void, how: 'stop' | 'kill'): Promise<void> {
  const name = host.Name;
  const call = machineCall(env.store, host);
  env.out(how === 'stop' ? `Stopping "${name}"...` : `Killing "${name}"...`);
  if ((await currentState(env, host, driver)) === 'Stopped') throw alreadyIn(name, 'Stopped');
  const outcome = how === 'stop' ? await driver.stop(call, { signal: env.signal, onProgress: (m) => env.out(`(${name}) ${m}`) }) : await driver.kill(call, { signal: env.signal });
  outcome.warnings.forEach((w) => env.err(`Warning: ${w.summary}`));
  if (applyOutcome(host, outcome)) save();
  await waitForState(driver, machineCall(env.store, host), 'Stopped', env.stateTimeoutMs ?? 180_000, env.signal);
  env.out(how === 'stop' ? `Machine "${name}" was stopped.` : `Machine "${name}" was killed.`);
}

/**
 * Docker Machine refuses an action whose target state the machine is already
 * in: the message goes to stderr and the command exits 1, which scripts test.
 */
function alreadyIn(name: string, state: MachineStateName): MachineError {
  return new MachineError('already-in-state', `Machine "${name}" is already ${state.toLowerCase()}.`);
}

async function restart(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void): Promise<void> {
  const name = host.Name;
  env.out(`Restarting "${name}"...`);
  const state = await currentState(env, host, driver);
  const call = machineCall(env.store, host);
  // A stopped machine is started, with start's own lines, as the reference's restart does.
  const starting = state === 'Stopped';
  if (starting) env.out(`Starting "${name}"...`);
  const outcome = starting
    ? await driver.start(call, { signal: env.signal, onProgress: (m) => env.out(`(${name}) ${m}`) })
    : await driver.restart(call, { signal: env.signal, onProgress: (m) => env.out(`(${name}) ${m}`) });
  outcome.warnings.forEach((w) => env.err(`Warning: ${w.summary}`));
  if (applyOutcome(host, outcome)) save();
  await waitForState(driver, machineCall(env.store, host), 'Running', env.stateTimeoutMs ?? 180_000, env.signal);
  if (starting) env.out(`Machine "${name}" was started.`);
  await afterBoot(env, host, driver, save);
}

/** A driver that declared no provisioning: its engine is served as is, with no SSH for the core. */
function servesItsOwnEngine(driver: DriverClient): boolean {
  return driver.metadata.provisioning === 'none';
}

/** After a boot: follow a new address, else wait for the engine to answer. */
async function afterBoot(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void): Promise<void> {
  if (await followAddress(env, host, driver, save)) return;
  if (servesItsOwnEngine(driver)) return;
  const url = await engineURL(driver, machineCall(env.store, host), env.signal);
  if (!url) return;
  try {
    await waitForDaemon({ url, ...machineTLS(env.store, host) }, 120_000, env.signal);
  } catch (err) {
    env.err(`Warning: the Docker engine of "${host.Name}" is not answering yet: ${errorMessage(err)}`);
  }
}

/**
 * When the machine's IP is no longer in its server certificate, issues a
 * new certificate and reprovisions the engine with it. Returns whether it did.
 */
export async function followAddress(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void): Promise<boolean> {
  if (servesItsOwnEngine(driver)) return false;
  const call = machineCall(env.store, host);
  const [ip, url] = await Promise.all([driver.getIP(call, { signal: env.signal }), engineURL(driver, call, env.signal)]);
  setExtra(host, { LastIP: ip, ...(url ? { LastURL: url } : {}), LastSeen: new Date().toISOString() });
  const check = checkServerCertHost(host.HostOptions.AuthOptions.ServerCertPath, ip);
  if (check.ok) {
    save();
    return false;
  }
  env.out(`The address of "${host.Name}" is now ${ip}, which its certificate does not cover; regenerating its certificates...`);
  await provisionMachine({ store: env.store, host, driver, signal: env.signal, step: (s) => env.out(s) });
  save();
  return true;
}

async function reprovision(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void, resetHostKey: boolean): Promise<void> {
  if (servesItsOwnEngine(driver)) {
    throw new MachineError('usage', `Machine "${host.Name}" uses the ${host.DriverName} driver, which serves its engine itself: machine has no SSH access to provision it.`);
  }
  const state = await currentState(env, host, driver);
  if (state !== 'Running') {
    throw new MachineError('not-running', `Host "${host.Name}" is not running (state: ${state || 'None'}). Start it with "machine start ${host.Name}".`);
  }
  const result = await provisionMachine({ store: env.store, host, driver, signal: env.signal, step: (s) => env.out(s), acceptNewHostKey: resetHostKey });
  result.warnings.forEach((w) => env.err(`Warning: ${w}`));
  save();
}

async function upgrade(env: ActionEnv, host: HostConfig, driver: DriverClient, save: () => void): Promise<void> {
  if (servesItsOwnEngine(driver)) {
    throw new MachineError('usage', `Machine "${host.Name}" uses the ${host.DriverName} driver, which serves its engine itself: machine cannot upgrade its engine.`);
  }
  if ((await currentState(env, host, driver)) !== 'Running') {
    env.out('Starting machine so machine can be upgraded...');
    await start(env, host, driver, save);
  }
  await upgradeDocker({ store: env.store, host, driver, out: env.out, signal: env.signal });
  save();
}
