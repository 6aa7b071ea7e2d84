/**
 * Asking about a machine: driver calls built from a stored host, the URL
 * with a stored last-known value, and the TLS connection check that env and
 * config run before printing.
 *
 *   machineCall(store, host)              the MachineCall every driver call takes
 *   resolveURL(ctx, host, { cache })      { url, source: 'cache' | 'driver' }
 *   connectionCheck(ctx, host)            the URL, after SAN and TLS checks; MachineError otherwise
 *   tlsFilesOf(host)                      CA / client cert / key paths recorded for the machine
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { MachineCall } from '@machine/driver-sdk';
import { certMismatchMessage, checkServerCertHost } from '../certs/inspect';
import { checkTLS, parseDockerURL, type DaemonError, type TLSFiles } from '../certs/tls-check';
import { MachineError, errorMessage } from '../errors';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import type { CommandContext } from '../command/context';

export function machineCall(store: Store, host: HostConfig): MachineCall {
  return {
    machine: { name: host.Name, storePath: store.root, machineDir: store.machineDir(host.Name) },
    state: host.Driver,
    stateVersion: typeof host.Machine?.DriverStateVersion === 'number' ? host.Machine.DriverStateVersion : 0,
  };
}

export function tlsFilesOf(host: HostConfig): TLSFiles {
  const a = host.HostOptions.AuthOptions;
  return { caPath: a.CaCertPath, certPath: a.ClientCertPath, keyPath: a.ClientKeyPath };
}

/** Whether something accepts TCP connections at host:port within timeoutMs. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(t);
      sock.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function driverError(host: HostConfig, e: unknown): MachineError {
  return MachineError.from(e, 'driver', `Driver "${host.DriverName}" failed for machine "${host.Name}"`);
}

/** The URL straight from the driver (and remembered for next time). */
export async function driverURL(ctx: CommandContext, host: HostConfig): Promise<string> {
  let url: string;
  try {
    const d = await ctx.registry.get(host.DriverName);
    url = await d.getURL(machineCall(ctx.store, host), { timeoutMs: 60_000 });
  } catch (e) {
    throw driverError(host, e);
  }
  if (url) ctx.store.recordSeen(host.Name, { url, ip: hostOf(url) });
  return url;
}

function hostOf(url: string): string | undefined {
  try {
    return parseDockerURL(url).host;
  } catch {
    return undefined;
  }
}

export interface ResolvedURL {
  url: string;
  source: 'cache' | 'driver';
}

/**
 * The machine's URL. With `cache`, a last-known URL whose port accepts a
 * TCP connection is used without starting the driver (that costs ~150 ms);
 * anything else asks the driver.
 */
export async function resolveURL(ctx: CommandContext, host: HostConfig, o: { cache: boolean; probeMs?: number }): Promise<ResolvedURL> {
  const cached = host.Machine?.LastURL;
  if (o.cache && typeof cached === 'string' && cached !== '') {
    try {
      const { host: h, port } = parseDockerURL(cached);
      if (await tcpProbe(h, port, o.probeMs ?? 1000)) {
        ctx.debug(`(${host.Name}) using last known URL ${cached}`);
        return { url: cached, source: 'cache' };
      }
    } catch {
      // not a tcp:// URL: ask the driver
    }
  }
  return { url: await driverURL(ctx, host), source: 'driver' };
}

function notRunning(): MachineError {
  return new MachineError('not-running', 'Error checking TLS connection: Host is not running');
}

function certHint(name: string): string {
  return `You can attempt to regenerate them using 'machine regenerate-certs ${name}'.\nBe advised that this will trigger a Docker daemon restart which might stop running containers.`;
}

async function checkOnce(host: HostConfig, url: string, timeoutMs: number, sameMachine: boolean): Promise<void> {
  const { host: ip, port } = parseDockerURL(url);
  const serverCert = host.HostOptions.AuthOptions.ServerCertPath;
  const san = checkServerCertHost(serverCert, ip);
  if (!san.ok && !san.error) throw new MachineError('cert-mismatch', certMismatchMessage(host.Name, ip, san.sans));
  let expectCertPem: Buffer | undefined;
  if (sameMachine) {
    try {
      expectCertPem = fs.readFileSync(serverCert);
    } catch {
      // no certificate of its own (e.g. the none driver): the CA check must do
    }
  }
  try {
    await checkTLS({ url, ...tlsFilesOf(host), timeoutMs, expectCertPem });
  } catch (e) {
    const de = e as DaemonError;
    if (de.name === 'DaemonError' && de.kind === 'certificate') {
      throw new MachineError('tls', `Error checking and/or regenerating the certs: There was an error validating certificates for host "${ip}:${port}": ${de.message}\n${certHint(host.Name)}`);
    }
    throw new MachineError('tls', `Error checking TLS connection: ${errorMessage(e)}`);
  }
}

/**
 * env/config's check: the URL, verified to reach a daemon whose certificate
 * our CA signed for the machine's address. A failure with the remembered URL
 * falls back to the driver once (the IP may have changed).
 */
export async function connectionCheck(ctx: CommandContext, host: HostConfig): Promise<string> {
  // The TLS handshake doubles as the liveness probe for the remembered URL.
  const cached = host.Machine?.LastURL;
  const first: ResolvedURL = typeof cached === 'string' && cached !== '' ? { url: cached, source: 'cache' } : { url: await driverURL(ctx, host), source: 'driver' };
  if (!first.url) throw notRunning();
  try {
    await checkOnce(host, first.url, first.source === 'cache' ? 3000 : 20_000, first.source === 'cache');
    return first.url;
  } catch (e) {
    if (first.source !== 'cache') throw e;
    ctx.debug(`(${host.Name}) check with the last known URL failed: ${errorMessage(e)}; asking the driver`);
    const url = await driverURL(ctx, host);
    if (!url) throw notRunning();
    if (url === first.url) throw e;
    await checkOnce(host, url, 20_000, false);
    return url;
  }
}
