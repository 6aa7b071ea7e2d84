// create: the driver makes the host, the core provisions it. A failure or
// an interrupt at any point undoes what was made (the driver's resources,
// then the store directory) unless the user asked to keep them.
import type { DriverClient, FlagValues } from '@machine/driver-sdk';
import { bootstrapCertificates } from '../certs/bootstrap';
import type { KeyPairPem } from '../certs/generate';
import { isProcessAlive } from '@machine/driver-sdk/process-alive';
import { isDriverCallError } from '@machine/driver-sdk';
import { MachineError, errorMessage } from '../errors';
import type { ProvisionResult } from '../provision/provision';
import { newHostConfig } from '../store/host';
import { clearIncomplete, markIncomplete } from '../store/incomplete';
import type { Store } from '../store/store';
import type { EngineOptions, HostConfig, SwarmOptions } from '../store/types';
import { applyOutcome, engineURL, machineCall, setExtra } from './machine';
import { provisionMachine } from './provision-machine';
import { waitForState } from '../wait';

export interface StepSink {
  step(text: string): void;
  line(text: string): void;
}

export interface TLSOverrides {
  caCert?: string;
  caKey?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface CreateRequest {
  store: Store;
  driver: DriverClient;
  name: string;
  driverFlags: FlagValues;
  engine: Partial<EngineOptions>;
  swarm: Partial<SwarmOptions>;
  tlsSans: string[];
  tls: TLSOverrides;
  keepOnFailure: boolean;
  progress: StepSink;
  signal?: AbortSignal;
  /** Overall wait for the driver's "Running" state (default 180 s). */
  runningTimeoutMs?: number;
  /** The machine's server key, started early by the caller so it is ready when needed. */
  serverKey?: Promise<KeyPairPem>;
  /** Runs on the provisioned machine before it is saved (joining a swarm); a failure rolls back like any other. */
  afterProvision?: (host: HostConfig) => Promise<void>;
}

export interface CreateResult {
  host: HostConfig;
  provision?: ProvisionResult;
  warnings: string[];
  /** Milliseconds per phase, provisioning's included. */
  phases: Record<string, number>;
}

export async function createMachine(req: CreateRequest): Promise<CreateResult> {
  const { store, driver, name, progress } = req;
  const phases: Record<string, number> = {};
  const warnings: string[] = [];
  const time = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      phases[phase] = Math.round(performance.now() - t0);
    }
  };
  const warn = (w: { summary: string; detail?: string }) => {
    const text = w.detail ? `${w.summary}: ${w.detail}` : w.summary;
    warnings.push(text);
    progress.line(`Warning: ${text}`);
  };

  const certPaths = {
    certDir: `${store.root}/certs`,
    caCertPath: req.tls.caCert ?? `${store.root}/certs/ca.pem`,
    caKeyPath: req.tls.caKey ?? `${store.root}/certs/ca-key.pem`,
    clientCertPath: req.tls.clientCert ?? `${store.root}/certs/cert.pem`,
    clientKeyPath: req.tls.clientKey ?? `${store.root}/certs/key.pem`,
  };
  const release = await store.lock(name, { waitMs: 0 });
  let claimed = false;
  let driverTouched = false;
  let host: HostConfig | undefined;
  try {
    if (store.exists(name)) throw store.alreadyExists(name);
    // Configure and the pre-create check make nothing, so they run before
    // the store entry exists: a bad flag leaves nothing to clean up.
    const ref = { name, storePath: store.root, machineDir: store.machineDir(name) };
    let configured: Awaited<ReturnType<DriverClient['configure']>>;
    try {
      configured = await time('configure', () => driver.configure(ref, req.driverFlags, { signal: req.signal }));
    } catch (err) {
      // The reference's heading for a driver refusing its flags (SetConfigFromFlags).
      throw new MachineError(MachineError.from(err, 'driver').code, `Error setting machine configuration from flags provided: ${driverWords(err)}`, { cause: err });
    }
    // As the reference does, only once the driver took its flags: a refused flag writes no CA.
    await time('bootstrap', () => bootstrapCertificates(certPaths, { storeRoot: store.root, log: (l) => progress.line(l) }));
    configured.warnings.forEach(warn);

    host = newHostConfig({ storeRoot: store.root, name, driverName: driver.name, driverState: configured.state, driverStateVersion: configured.stateVersion });
    Object.assign(host.HostOptions.EngineOptions, req.engine);
    Object.assign(host.HostOptions.SwarmOptions, req.swarm);
    const auth = host.HostOptions.AuthOptions;
    auth.CaCertPath = certPaths.caCertPath;
    auth.CaPrivateKeyPath = certPaths.caKeyPath;
    auth.ClientCertPath = certPaths.clientCertPath;
    auth.ClientKeyPath = certPaths.clientKeyPath;
    auth.ServerCertSANs = req.tlsSans;

    progress.step('Running pre-create checks...');
    try {
      const checked = await time('preCreateCheck', () => driver.preCreateCheck(machineCall(store, host as HostConfig), { signal: req.signal }));
      checked.warnings.forEach(warn);
    } catch (err) {
      throw new MachineError('precreate', `Error with pre-create check: "${driverWords(err)}"`, { cause: err });
    }
    store.claim(name);
    claimed = true;
    // Written before the driver runs, so that whatever it makes is findable
    // (and removable with "machine rm -f") even if this process dies; the
    // mark keeps it from looking healthy until the create has finished.
    markIncomplete(host);
    store.save(host);

    progress.step('Creating machine...');
    driverTouched = true;
    const created = await time('driverCreate', () =>
      driver.create(machineCall(store, host as HostConfig), { signal: req.signal, onProgress: (m) => progress.line(`(${name}) ${m}`) }),
    );
    created.warnings.forEach(warn);
    applyOutcome(host, created);
    store.save(host);

    let provision: ProvisionResult | undefined;
    // The driver says whether its engine needs provisioning; its name never decides.
    if (driver.metadata.provisioning !== 'none') {
      progress.step('Waiting for machine to be running, this may take a few minutes...');
      await time('waitRunning', () => waitForState(driver, machineCall(store, host as HostConfig), 'Running', req.runningTimeoutMs ?? 180_000, req.signal));
      progress.step('Detecting operating system of created instance...');
      provision = await provisionMachine({
        store,
        host,
        driver,
        signal: req.signal,
        step: (s) => progress.step(s),
        acceptNewHostKey: true,
        serverKey: req.serverKey,
      });
      Object.assign(phases, provision.phases);
      provision.warnings.forEach((w) => warn({ summary: w }));
    } else {
      const call = machineCall(store, host);
      const url = await engineURL(driver, call, req.signal);
      if (url) setExtra(host, { LastURL: url, LastSeen: new Date().toISOString() });
    }
    if (req.afterProvision) {
      const ready = host;
      await time('afterProvision', () => req.afterProvision?.(ready) ?? Promise.resolve());
    }
    clearIncomplete(host);
    store.save(host);
    return { host, provision, warnings, phases };
  } catch (err) {
    if (claimed && !driverTouched) {
      // Only the record was written: nothing to report, nothing to keep.
      store.remove(name);
    } else if (claimed && !req.keepOnFailure) {
      await rollback(req, host);
    } else if (claimed) {
      if (host) saveMark(store, host, `failed and kept for debugging (--keep-on-failure): ${errorMessage(err)}`);
      progress.line(`Kept the machine for debugging (--keep-on-failure). Remove it with "machine rm -f ${name}".`);
    }
    throw err;
  } finally {
    release();
  }
}

function saveMark(store: Store, host: HostConfig, reason: string): void {
  try {
    markIncomplete(host, reason);
    store.save(host);
  } catch {
    // The mark written before the driver ran still tells `ls` the create did not finish.
  }
}

async function rollback(req: CreateRequest, host: HostConfig | undefined): Promise<void> {
  const { progress, name } = req;
  const problems: string[] = [];
  if (host) {
    const call = machineCall(req.store, host);
    progress.line(`Rolling back: removing what the ${req.driver.name} driver made for "${name}"...`);
    let driver = req.driver;
    for (let attempt = 0; ; attempt++) {
      try {
        // A driver killed (or crashed) during the create is relaunched: the
        // removal must not depend on the process that was making the machine.
        if (!driverRunning(driver)) {
          driver = await reviveDriver(driver);
          progress.line(`The ${driver.name} driver had stopped; relaunched it to finish the rollback.`);
        }
        // The create call's own signal may be aborted; removal must still run.
        await driver.remove(call, { timeoutMs: 300_000 });
        break;
      } catch (err) {
        if (attempt === 0 && !driverRunning(driver)) continue;
        problems.push(`the driver could not remove the machine: ${errorMessage(err)}`);
        break;
      }
    }
  }
  if (problems.length) {
    if (host) saveMark(req.store, host, `rollback incomplete: ${problems.join('; ')}`);
    progress.line(`Rollback incomplete: ${problems.join('; ')}. The machine is kept so that "machine rm -f ${name}" can retry.`);
    return;
  }
  req.store.remove(name);
  progress.line(`Rolled back: "${name}" was removed. Use --keep-on-failure to keep a failed machine for debugging.`);
}

function driverRunning(driver: DriverClient): boolean {
  return driver.pid !== undefined && isProcessAlive(driver.pid);
}

async function reviveDriver(driver: DriverClient): Promise<DriverClient> {
  const { reviveDriver: revive } = await import('../discovery/registry');
  return revive(driver);
}

/**
 * What a driver answered, as Docker Machine shows a driver's error: its own
 * words, without the "(driver) " prefix our host adds. A driver that could
 * not be started keeps the prefix: those words are not the driver's.
 */
function driverWords(err: unknown): string {
  if (isDriverCallError(err) && err.call !== 'launch') {
    const prefix = `(${err.driver}) `;
    return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  }
  return errorMessage(err);
}
