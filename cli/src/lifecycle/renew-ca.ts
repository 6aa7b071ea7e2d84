// regenerate-certs --client-certs: a new CA and client certificate, then a
// new server certificate for every machine the old CA signed, one machine
// after the other. Docker Machine replaced the CA and left every other
// machine failing its TLS check (docker-machine#4400, #4547); here nothing
// is replaced unless every machine can follow, and each one that has
// followed works again before the next one starts.
import * as path from 'node:path';
import type { DriverClient } from '@machine/driver-sdk';
import { bootstrapCertificates, defaultCertPaths } from '../certs/bootstrap';
import { MachineError, errorMessage } from '../errors';
import type { HostConfig } from '../store/types';
import { runAction, type ActionEnv } from './actions';
import { machineCall } from './machine';

export interface RenewResult {
  /** Machines that now have a server certificate from the new CA. */
  reissued: string[];
  /** Machines that signed with another CA, or whose driver serves its own engine. */
  untouched: string[];
}

/** Machines whose daemon trusts the store's CA and that the core provisions. */
async function machinesOfCA(env: ActionEnv, caCertPath: string): Promise<{ targets: Array<{ host: HostConfig; driver: DriverClient }>; untouched: string[] }> {
  const targets: Array<{ host: HostConfig; driver: DriverClient }> = [];
  const untouched: string[] = [];
  for (const entry of env.store.list()) {
    if (!entry.host) {
      untouched.push(entry.name);
      continue;
    }
    const host = entry.host;
    if (path.resolve(host.HostOptions.AuthOptions.CaCertPath) !== path.resolve(caCertPath)) {
      untouched.push(host.Name);
      continue;
    }
    const driver = await env.registry.get(host.DriverName);
    if (driver.metadata.provisioning === 'none') untouched.push(host.Name);
    else targets.push({ host, driver });
  }
  return { targets, untouched };
}

export async function renewAuthority(env: ActionEnv): Promise<RenewResult> {
  const paths = defaultCertPaths(env.store.root);
  const { targets, untouched } = await machinesOfCA(env, paths.caCertPath);

  // Re-issuing needs SSH to each machine: one that is not running would be
  // left trusting the old CA only, so nothing changes unless all can follow.
  const states = await Promise.all(
    targets.map(async ({ host, driver }) => {
      try {
        return await driver.getState(machineCall(env.store, host), { signal: env.signal, timeoutMs: 60_000 });
      } catch (e) {
        return `unknown (${errorMessage(e)})`;
      }
    }),
  );
  const notRunning = targets.flatMap(({ host }, i) => (states[i] === 'Running' ? [] : [`"${host.Name}" is ${states[i] || 'in no known state'}`]));
  if (notRunning.length) {
    throw new MachineError(
      'not-running',
      `Not renewing the CA: every machine it signed gets a new server certificate over SSH, and ${notRunning.join(', ')}. ` +
        'Start those machines (or remove them) and run the command again; nothing was changed.',
    );
  }

  env.out('Regenerating the CA and the client certificate');
  await bootstrapCertificates(paths, { storeRoot: env.store.root, forceCA: true, log: env.out });

  const reissued: string[] = [];
  const failed: string[] = [];
  for (const [i, { host }] of targets.entries()) {
    const step = `(${i + 1}/${targets.length}) "${host.Name}"`;
    env.out(`${step}: issuing a server certificate from the new CA...`);
    try {
      await runAction(env, 'regenerate-certs', [host.Name]);
      reissued.push(host.Name);
      env.out(`${step}: done`);
    } catch (e) {
      failed.push(`"${host.Name}": ${errorMessage(e)}`);
      env.err(`${step}: failed: ${errorMessage(e)}`);
    }
  }
  if (failed.length) {
    throw new MachineError(
      'driver',
      `The CA was renewed, but these machines still have a server certificate from the old one:\n${failed.join('\n')}\n` +
        'Run "machine regenerate-certs -f NAME" for each once it is reachable.',
    );
  }
  return { reissued, untouched };
}
