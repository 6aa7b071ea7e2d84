/**
 * ls's data: every machine's state, URL and Docker version, gathered with one
 * Describe call per machine over one process per driver, a per-machine
 * timeout, and a cap on concurrent Docker version requests. A machine whose
 * daemon proves it runs (machine-info.ts's provenEngine, as for url and
 * status) needs no Describe: its driver is not started for it.
 */
import type { Description } from '@machine/driver-sdk';
import { certMismatchMessage, checkServerCertHost } from '../certs/inspect';
import { caExpiryWarning, certExpiry, expiryWarning } from '../certs/expiry';
import { effectiveDockerHost } from '../contexts/docker-context';
import { dockerVersionError } from '../certs/go-wording';
import { dockerVersion, parseDockerURL } from '../certs/tls-check';
import { errorMessage } from '../errors';
import { driverNotInstalledMessage, findDriver, isDriverNotFound } from '../discovery/discover';
import { incompleteProblem } from '../store/incomplete';
import type { HostConfig, HostEntry } from '../store/types';
import type { CommandContext } from '../command/context';
import { machineCall, provenEngine, tlsFilesOf } from './machine-info';
import { urlToProve } from './self-proof';
import { swarmRecord } from '../swarm/record';
import { formatGoDuration } from '../format/go-value';

export interface ListItem {
  Name: string;
  Active: string;
  ActiveHost: boolean;
  ActiveSwarm: boolean;
  DriverName: string;
  State: string;
  URL: string;
  Swarm: string;
  Error: string;
  DockerVersion: string;
  ResponseTime: string;
  SwarmOptions: HostConfig['HostOptions']['SwarmOptions'] | null;
  EngineOptions: HostConfig['HostOptions']['EngineOptions'] | null;
}

export interface GatherOptions {
  timeoutMs: number;
  /** Skip the Docker version requests (active, filters). */
  dockerVersion: boolean;
  /** Max concurrent Docker version requests. */
  dockerConcurrency?: number;
}

const NOT_RUNNING = 'Host is not running';

/** A response time as the reference's ResponseTime (a time.Duration) prints. */
function goDuration(ms: number): string {
  return formatGoDuration(Math.round(ms * 1e6));
}

function semaphore(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

function isUnimplemented(e: unknown): boolean {
  return e instanceof Error && e.name === 'DriverCallError' && (e as { code?: unknown }).code === 'unimplemented';
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** A record that cannot be read: what the reference fills in (no Active, no time taken). */
export function errorItem(name: string, error: Error): ListItem {
  return {
    Name: name,
    Active: '',
    ActiveHost: false,
    ActiveSwarm: false,
    DriverName: 'not found',
    State: 'Error',
    URL: '',
    Swarm: '',
    Error: oneLine(error.message),
    DockerVersion: '',
    ResponseTime: '0s',
    SwarmOptions: null,
    EngineOptions: null,
  };
}

function swarmColumn(host: HostConfig, all: HostConfig[]): string {
  const member = swarmRecord(host);
  if (member) return member.Role;
  const so = host.HostOptions.SwarmOptions;
  if (!so.IsSwarm && !so.Master) return '';
  if (so.Master) return `${host.Name} (master)`;
  const master = all.find((h) => h.HostOptions.SwarmOptions.Master && h.HostOptions.SwarmOptions.Discovery === so.Discovery);
  return master ? master.Name : '';
}

/** Describe with a deadline; a late answer becomes a Timeout row. */
async function describeWithTimeout(ctx: CommandContext, host: HostConfig, timeoutMs: number): Promise<Description | 'timeout'> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const call = (async () => {
      const d = await ctx.registry.get(host.DriverName);
      const mc = machineCall(ctx.store, host);
      const opts = { signal: ac.signal, timeoutMs };
      try {
        return await d.describe(mc, opts);
      } catch (e) {
        if (!isUnimplemented(e)) throw e;
      }
      // A driver without Describe (another language, older SDK): the
      // reference's sequence, URL first; a URL means it runs.
      const field = async <T>(f: () => Promise<T>): Promise<{ v?: T; err?: string }> => {
        try {
          return { v: await f() };
        } catch (e) {
          return { err: errorMessage(e) };
        }
      };
      const url = await field(() => d.getURL(mc, opts));
      const state = url.v ? { v: 'Running' as const } : await field(() => d.getState(mc, opts));
      const ip = await field(() => d.getIP(mc, opts));
      const out: Description = { state: state.v ?? 'Error', url: url.v ?? '', ip: ip.v ?? '' };
      if (state.err) out.stateError = state.err;
      if (url.err) out.urlError = url.err;
      if (ip.err) out.ipError = ip.err;
      return out;
    })();
    // A rejection after the timeout won must not become an unhandled rejection.
    call.catch(() => undefined);
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function gather(ctx: CommandContext, entries: HostEntry[], o: GatherOptions): Promise<ListItem[]> {
  const hosts = entries.flatMap((e) => (e.host ? [e.host] : []));
  // Active by DOCKER_HOST (env) or by the docker context (machine use).
  const dockerHost = effectiveDockerHost(ctx.env);
  const limit = semaphore(o.dockerConcurrency ?? 8);
  // Most machines share one CA: read each CA file once.
  const caChecked = new Map<string, string | undefined>();
  const caWarnings = (file: string): string | undefined => {
    if (!caChecked.has(file)) caChecked.set(file, caExpiryWarning(certExpiry(file)));
    return caChecked.get(file);
  };
  // A machine whose driver is gone is reported as such even while its
  // engine runs (the row names the command that brings the driver back), so
  // the proof is taken only for a driver that can be found: once per driver.
  const found = new Map<string, boolean>();
  const driverFound = (name: string): boolean => {
    if (!found.has(name)) {
      try {
        findDriver(name, { env: ctx.env });
        found.set(name, true);
      } catch {
        found.set(name, false);
      }
    }
    return found.get(name) === true;
  };
  return Promise.all(
    entries.map(async (e): Promise<ListItem> => {
      if (!e.host) return errorItem(e.name, e.error);
      const host = e.host;
      const item: ListItem = {
        Name: host.Name,
        Active: '-',
        ActiveHost: false,
        ActiveSwarm: false,
        DriverName: host.DriverName,
        State: '',
        URL: '',
        Swarm: swarmColumn(host, hosts),
        Error: '',
        DockerVersion: '',
        ResponseTime: '',
        SwarmOptions: host.HostOptions.SwarmOptions,
        EngineOptions: host.HostOptions.EngineOptions,
      };
      const started = Date.now();
      const deadline = started + o.timeoutMs;
      // The proof shares the cap on connections to daemons: 100 machines make no 100 handshakes at once.
      const proof = urlToProve(host) === undefined || !driverFound(host.DriverName) ? undefined : await limit(() => provenEngine(ctx, host, o.dockerVersion));
      let desc: Description | 'timeout';
      try {
        desc = proof ? { state: 'Running', url: proof.url, ip: '' } : await describeWithTimeout(ctx, host, o.timeoutMs);
      } catch (err) {
        item.State = 'Error';
        item.Error = oneLine(isDriverNotFound(err) ? driverNotInstalledMessage(host.DriverName) : errorMessage(err));
        item.ResponseTime = goDuration(Date.now() - started);
        return item;
      }
      if (desc === 'timeout') {
        // The reference's timeout row: the time-out itself as the time taken, and no options.
        return { ...item, State: 'Timeout', Active: '', ResponseTime: goDuration(o.timeoutMs), SwarmOptions: null, EngineOptions: null };
      }
      item.State = desc.state;
      // A machine that is not running has no URL, as the reference's GetURL fails then; scripts read the blank.
      if (desc.state !== 'Running') desc = { ...desc, url: '' };
      item.URL = desc.url;
      const errs = [incompleteProblem(host), desc.stateError, desc.urlError, desc.ipError].filter((x): x is string => !!x && x !== NOT_RUNNING);
      const expiry = expiryWarning(certExpiry(host.HostOptions.AuthOptions.ServerCertPath));
      if (expiry) errs.push(expiry);
      const caExpiry = caWarnings(host.HostOptions.AuthOptions.CaCertPath);
      if (caExpiry) errs.push(caExpiry);
      if (desc.state === 'Running') {
        const ip = desc.ip || safeHost(desc.url);
        if (ip) {
          const c = checkServerCertHost(host.HostOptions.AuthOptions.ServerCertPath, ip);
          if (!c.ok && !c.error) errs.push(certMismatchMessage(host.Name, ip, c.sans));
        }
        if (desc.url === dockerHost && dockerHost !== '') {
          item.Active = '*';
          item.ActiveHost = true;
        }
        const so = host.HostOptions.SwarmOptions;
        // A swarm-mode manager's swarm endpoint is its engine: the row is active as a plain machine.
        if (so.Master && !swarmRecord(host) && dockerHost !== '' && safeHost(desc.url) && dockerHost === `tcp://${safeHost(desc.url)}:${/:(\d+)$/.exec(so.Host)?.[1] ?? '3376'}`) {
          item.Active = '* (swarm)';
          item.ActiveSwarm = true;
        }
      }
      if (o.dockerVersion) {
        if (proof?.version !== undefined) item.DockerVersion = 'v' + proof.version;
        else if (desc.url) {
          const left = Math.max(200, deadline - Date.now());
          try {
            item.DockerVersion = 'v' + (await limit(() => dockerVersion({ url: desc.url, ...tlsFilesOf(host), timeoutMs: left })));
          } catch (err) {
            item.DockerVersion = 'Unknown';
            // ERRORS carries the reference's text, which scripts grep; a wrong address is already named above.
            const where = safeAddress(desc.url);
            if (where && errs.length === 0) errs.push(dockerVersionError(err, where.host, where.port));
          }
        } else item.DockerVersion = 'Unknown';
      }
      item.Error = errs.map(oneLine).join('; ');
      item.ResponseTime = goDuration(Date.now() - started);
      return item;
    }),
  );
}

function safeAddress(url: string): { host: string; port: number } | undefined {
  try {
    return parseDockerURL(url);
  } catch {
    return undefined;
  }
}

function safeHost(url: string): string | undefined {
  try {
    return parseDockerURL(url).host;
  } catch {
    return undefined;
  }
}
