/**
 * Asking about a machine: driver calls built from a stored host, the URL
 * with a stored last-known value, and the TLS connection check that env and
 * config run before printing.
 *
 *   machineCall(store, host)              the MachineCall every driver call takes
 *   runningURL(ctx, host)                 the URL once the driver says Running; 'Host is not running' otherwise
 *                                         (state and URL asked concurrently: one round trip)
 *   provenURL(ctx, host, timeoutMs)       the remembered URL, once the daemon there proves it is this machine; else undefined
 *   currentURL(ctx, host)                 provenURL within a moment, else runningURL (url, status)
 *   provenIP(ctx, host)                   the remembered IP, when it is the proven URL's host; else undefined (ip)
 *   provenEngine(ctx, host, version)      provenURL within a moment, with the engine's version when asked (ls)
 *   connectionCheck(ctx, host)            the URL, after SAN and TLS checks; MachineError otherwise
 *   tlsFilesOf(host)                      CA / client cert / key paths recorded for the machine
 */
import * as fs from 'node:fs';
import type { MachineCall } from '@machine/driver-sdk';
import { certMismatchMessage, checkServerCertHost } from '../certs/inspect';
import { goNetError } from '../certs/go-wording';
import { checkTLS, dockerVersion, parseDockerURL, type DaemonError, type DaemonTarget, type TLSFiles } from '../certs/tls-check';
import { MachineError, errorMessage } from '../errors';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import type { CommandContext } from '../command/context';
import { rememberedIP, urlToProve } from './self-proof';
import { startDriverAhead } from '../prelaunch';

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

function driverError(host: HostConfig, e: unknown): MachineError {
  return MachineError.from(e, 'driver', `Driver "${host.DriverName}" failed for machine "${host.Name}"`);
}

export const HOST_NOT_RUNNING = 'Host is not running';

/**
 * The URL the driver reports for a machine it says is Running. Read-only
 * commands never write the store, so it is not remembered. A stopped machine's last address may by now
 * belong to another machine that trusts the same CA, so nothing else, and
 * no remembered URL, is ever handed out.
 */
export async function runningURL(ctx: CommandContext, host: HostConfig): Promise<string> {
  let url: string;
  try {
    const d = await ctx.registry.get(host.DriverName);
    const call = machineCall(ctx.store, host);
    // Both asked at once on the one connection, so the answer costs one
    // round trip; the URL counts only once the state says Running (a stopped
    // machine's URL, or its failure to give one, is never shown).
    const urlAnswer = d.getURL(call, { timeoutMs: 60_000 });
    urlAnswer.catch(() => undefined);
    const state = await d.getState(call, { timeoutMs: 60_000 });
    if (state !== 'Running') throw new MachineError('not-running', HOST_NOT_RUNNING);
    url = await urlAnswer;
  } catch (e) {
    throw driverError(host, e);
  }
  if (!url) throw new MachineError('not-running', HOST_NOT_RUNNING);
  return url;
}

const CERTS_HEADING = 'Error checking and/or regenerating the certs: ';

/**
 * `Host is not running` and a failed certificate check under the command's
 * own heading, as Docker Machine words them (e.g. "Error checking TLS
 * connection: Error checking and/or regenerating the certs: ...").
 */
export function withHeading(heading: string, e: unknown): unknown {
  if (e instanceof MachineError && (e.code === 'not-running' || (e.code === 'tls' && e.message.startsWith(CERTS_HEADING)))) {
    return new MachineError(e.code, `${heading}: ${e.message}`);
  }
  return e;
}

/** Ends with a newline, as Docker Machine's message does: printed, it leaves a blank line. */
function certHint(name: string): string {
  return `You can attempt to regenerate them using 'machine regenerate-certs ${name}'.\nBe advised that this will trigger a Docker daemon restart which might stop running containers.\n`;
}

/**
 * Connects to the daemon at `url` the way `probe` does (checkTLS: the
 * handshake only; dockerVersion: GET /version on the verified connection),
 * after the certificate checks every connection makes, and gives the probe's
 * answer. `sameMachine`: only this machine's own server certificate will do.
 */
async function checkOnce<T>(host: HostConfig, url: string, timeoutMs: number, sameMachine: boolean, probe: (t: DaemonTarget) => Promise<T>): Promise<T> {
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
    return await probe({ url, ...tlsFilesOf(host), timeoutMs, expectCertPem });
  } catch (e) {
    const de = e as DaemonError;
    // Docker Machine validates the certificates by dialling the engine, so an
    // engine that does not answer fails that validation too, in the same words.
    if (de.name === 'DaemonError' && (de.kind === 'certificate' || de.kind === 'unreachable' || de.kind === 'timeout')) {
      throw new MachineError('tls', `${CERTS_HEADING}There was an error validating certificates for host "${ip}:${port}": ${goNetError(de, ip, port)}\n${certHint(host.Name)}`);
    }
    throw new MachineError('tls', `Error checking TLS connection: ${goNetError(e, ip, port)}`);
  }
}

/**
 * The remembered URL, when the daemon there presents this machine's own
 * server certificate within `timeoutMs`: that proves both that the machine
 * runs and that the address is still its own (a stopped machine's old
 * address may answer as another machine that trusts the same CA, whose
 * certificate is not this one). Undefined when there is no such proof, for
 * whatever reason; the caller then asks the driver.
 */
export async function provenURL(ctx: CommandContext, host: HostConfig, timeoutMs: number): Promise<string | undefined> {
  return (await proven(ctx, host, timeoutMs, checkTLS))?.url;
}

/** provenURL with what `probe` learnt on the proving connection. */
async function proven<T>(ctx: CommandContext, host: HostConfig, timeoutMs: number, probe: (t: DaemonTarget) => Promise<T>): Promise<{ url: string; answer: T } | undefined> {
  const cached = urlToProve(host);
  if (cached === undefined) return undefined;
  try {
    return { url: cached, answer: await checkOnce(host, cached, timeoutMs, true, probe) };
  } catch (e) {
    ctx.debug(`(${host.Name}) check with the last known URL failed: ${errorMessage(e)}; asking the driver`);
    return undefined;
  }
}

/**
 * How long url and status wait for that proof before they take the driver's
 * answer. A running machine nearby answers in milliseconds; one that does
 * not answer at all (stopped, or gone from that address) costs this long
 * at most, and its driver has been starting meanwhile (below).
 */
const QUICK_PROOF_MS = 250;
/**
 * bin/run.js does not start the driver of a machine that can prove itself
 * (prelaunch.ts): for a running machine nearby it would only compete for the
 * CPU and be killed unused. A proof that has not come within this long may
 * not come, so the driver is started then, to answer in its stead.
 */
const DRIVER_AHEAD_AFTER_MS = 40;

async function quickProof(ctx: CommandContext, host: HostConfig): Promise<string | undefined> {
  // Nothing to prove settles at once, well before the timer.
  const ahead = setTimeout(() => startDriverAhead(host.DriverName, ctx.env), DRIVER_AHEAD_AFTER_MS);
  try {
    return await provenURL(ctx, host, QUICK_PROOF_MS);
  } finally {
    clearTimeout(ahead);
  }
}

/**
 * ls's answer for a machine that proves it runs, as url and status take it:
 * its remembered URL and, when `withVersion`, the engine's version, read on
 * the proving connection (ls makes that request anyway). Undefined without
 * a proof within a moment; ls then asks the driver, as it always has.
 *
 * Unlike url and status, ls starts no driver while it waits: its proofs
 * share one thread and a cap on connections, so many take longer than
 * DRIVER_AHEAD_AFTER_MS on a store of running machines, and a driver
 * started then would only take the CPU they need and be killed unused.
 */
export async function provenEngine(ctx: CommandContext, host: HostConfig, withVersion: boolean): Promise<{ url: string; version?: string } | undefined> {
  const handshakeOnly = async (t: DaemonTarget): Promise<undefined> => void (await checkTLS(t));
  const found = await proven(ctx, host, QUICK_PROOF_MS, withVersion ? dockerVersion : handshakeOnly);
  return found && { url: found.url, version: found.answer };
}

/**
 * url's answer: the remembered URL when its daemon proves it is this machine
 * (as env's is), else the driver's, for a machine it says is Running.
 */
export async function currentURL(ctx: CommandContext, host: HostConfig): Promise<string> {
  return (await quickProof(ctx, host)) ?? runningURL(ctx, host);
}

/** True when the machine's daemon proves, within a moment, that the machine runs (see currentURL). */
export async function provenRunning(ctx: CommandContext, host: HostConfig): Promise<boolean> {
  return (await quickProof(ctx, host)) !== undefined;
}

/**
 * The remembered IP, when it is the host of the remembered URL (the driver
 * gave the two together) and the daemon there proves it is this machine:
 * the machine is then at that address. Undefined otherwise; ip asks the
 * driver then.
 */
export async function provenIP(ctx: CommandContext, host: HostConfig): Promise<string | undefined> {
  const ip = rememberedIP(host);
  if (ip === undefined) return undefined;
  let urlHost: string;
  try {
    // rememberedIP found a URL to prove, so there is one.
    urlHost = parseDockerURL(host.Machine?.LastURL ?? '').host;
  } catch {
    return undefined;
  }
  if (urlHost !== ip) return undefined;
  return (await quickProof(ctx, host)) !== undefined ? ip : undefined;
}

/**
 * env/config's check: the URL, verified to reach a daemon whose certificate
 * our CA signed for the machine's address. A failure with the remembered URL
 * falls back to the driver once (the IP may have changed).
 */
export async function connectionCheck(ctx: CommandContext, host: HostConfig): Promise<string> {
  const url = await provenURL(ctx, host, 3000);
  if (url !== undefined) return url;
  const reported = await runningURL(ctx, host);
  await checkOnce(host, reported, 20_000, false, checkTLS);
  return reported;
}

/**
 * The machine a docker client should talk to and its checked URL, for env and
 * config: with swarm, a manager of the named machine's swarm (a worker's
 * client talks to a manager). A failed check carries the command's heading.
 */
export async function clientEndpoint(
  ctx: CommandContext,
  args: string[],
  swarm: boolean,
  heading: string,
): Promise<{ name: string; host: HostConfig; url: string }> {
  const name = ctx.targetName(args);
  const host = ctx.loadHost(name);
  const check = (h: HostConfig) =>
    connectionCheck(ctx, h).catch((e: unknown) => {
      throw withHeading(heading, e);
    });
  if (!swarm) return { name, host, url: await check(host) };
  // Loaded only for --swarm: the fast path of env and config stays small.
  const { swarmEndpoint } = await import('../swarm/client-endpoint');
  const all = ctx.store.list().flatMap((e) => (e.host ? [e.host] : []));
  const found = await swarmEndpoint(host, all, check, heading);
  return { name: found.host.Name, ...found };
}
