// serveDriver(): turns a Driver implementation into a plugin executable that
// speaks the go-plugin handshake and machine.driver.v1 over gRPC.
import { setTimeout as delay } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import {
  DIAGNOSTICS_TRAILER,
  ENV_CLIENT_CERT,
  ENV_LIFELINE,
  ENV_MAX_PORT,
  ENV_MIN_PORT,
  ENV_PROTOCOL_VERSIONS,
  ENV_TRANSPORT,
  ENV_UNIX_SOCKET_DIR,
  HEALTH_SERVICE_NAMES,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  PROTOCOL_VERSIONS,
  SDK_NAME,
} from './constants';
import {
  diagnosticToWire,
  flagToWire,
  flagValuesFromWire,
  machineFromWire,
  stateFromBytes,
  stateToBytes,
  stateToWire,
} from './convert';
import { DriverError, type Driver, type DriverContext } from './driver';
import { GRPC_STATUS, isDriverErrorLike } from './errors';
import { formatHandshake, negotiateVersion, parseVersionList } from './handshake';
import { createLogger, guardStdout } from './log';
import type { ConfigureRequest__Output } from './gen/machine/driver/v1/ConfigureRequest';
import type { Description } from './gen/machine/driver/v1/Description';
import type { MachineRequest__Output } from './gen/machine/driver/v1/MachineRequest';
import type { OperationResult } from './gen/machine/driver/v1/OperationResult';
import type { DiagnosticInfo, FlagSpec, FlagValues, JsonObject, MachineRef, MachineStateName } from './types';
import { loadWire, type Wire } from './wire';
import { isProcessAlive } from './process-alive';

export interface ServeOptions {
  /** Protocol major versions the driver speaks; default: the SDK's. */
  protocolVersions?: readonly number[];
  /** How long in-flight calls get to undo their work after a cancel at shutdown. Default 30 s. */
  shutdownGraceMs?: number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const SDK_VERSION = (require('../package.json') as { version: string }).version;

/** What the handlers share: the in-flight calls, so shutdown can cancel and await them. */
interface Inflight {
  abort: AbortController;
  machine: string;
  done: Promise<unknown>;
}

/**
 * Serves `driver` as a plugin: checks the magic cookie, negotiates the
 * protocol version, listens on a private unix socket (or loopback TCP with
 * AutoMTLS), prints the handshake line and serves until the host shuts it
 * down or goes away. Never returns normally in a driver process: it ends
 * with process.exit. The returned promise resolves once the handshake is out.
 */
export async function serveDriver<S extends JsonObject>(driver: Driver<S>, options: ServeOptions = {}): Promise<void> {
  const info = driver.info;
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    fs.writeSync(
      2,
      `This is the "${info.name}" driver plugin for machine (version ${info.version}).\n` +
        'It is not meant to be run by hand: machine starts it when a command uses this driver.\n' +
        `To see its flags, run: machine create --driver ${info.name} --help\n`,
    );
    process.exit(1);
  }
  const ours = options.protocolVersions ?? PROTOCOL_VERSIONS;
  const theirs = parseVersionList(process.env[ENV_PROTOCOL_VERSIONS]);
  const version = negotiateVersion(ours, theirs);
  if (version === undefined) {
    fs.writeSync(
      2,
      `error: no common driver protocol version: the "${info.name}" driver speaks ${ours.join(', ')}, ` +
        `the host asked for ${theirs?.join(', ')} (${ENV_PROTOCOL_VERSIONS}). ` +
        `Install a driver release that speaks protocol ${theirs?.join(' or ')}, or a machine release that speaks ${ours.join(' or ')}.\n`,
    );
    process.exit(1);
  }

  guardStdout();
  // A host that died closes the pipe; logging must not crash the driver while
  // it undoes work on its way out.
  process.stderr.on('error', () => undefined);
  const log = createLogger({ driver: info.name });
  const wire = loadWire();
  const { grpc } = wire;
  const inflight = new Set<Inflight>();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const files: { socketDir?: string } = {};
  let stopping = false;
  const grace = options.shutdownGraceMs ?? 30_000;

  let hostGone = false;
  const terminate = async (reason: string, code = 0, graceMs = grace): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.debug('driver exiting', { reason });
    const pending = [...inflight];
    for (const f of pending) f.abort.abort(new DriverError('cancelled', `the driver is shutting down (${reason})`));
    if (pending.length > 0) {
      // Referenced timers (delay): shutdown must not end early because the event
      // loop ran empty before the socket directory was removed.
      await Promise.race([Promise.allSettled(pending.map((f) => f.done)), delay(graceMs)]);
    }
    // Let replies in flight (the Shutdown answer itself) reach the host, but
    // do not wait for streams that never end, such as health Watch.
    await Promise.race([new Promise<void>((resolve) => server.tryShutdown(() => resolve())), delay(250)]);
    server.forceShutdown();
    if (files.socketDir) {
      fs.rmSync(files.socketDir, { recursive: true, force: true });
      // A host that is gone cannot remove the directory it made for us; do it
      // when nothing else is left in it (rmdir refuses otherwise).
      const hostDir = process.env[ENV_UNIX_SOCKET_DIR];
      if (hostGone && hostDir && path.dirname(files.socketDir) === path.resolve(hostDir)) {
        try {
          fs.rmdirSync(hostDir);
        } catch {
          // not empty, or already removed by the host
        }
      }
    }
    process.exit(code);
  };

  const run = <R>(
    rpc: string,
    call: grpcTypes.ServerUnaryCall<unknown, unknown> | grpcTypes.ServerWritableStream<unknown, unknown>,
    machine: MachineRef,
    onProgress: ((message: string) => void) | undefined,
    fn: (ctx: DriverContext, warnings: DiagnosticInfo[]) => Promise<R>,
  ): { result: Promise<R>; warnings: DiagnosticInfo[]; signal: AbortSignal } => {
    const abort = new AbortController();
    const warnings: DiagnosticInfo[] = [];
    const callLog = createLogger({ driver: info.name, machine: machine.name || undefined, rpc });
    const ctx: DriverContext = {
      machine,
      signal: abort.signal,
      progress: (message) => (onProgress ? onProgress(message) : callLog.info(message)),
      warn: (summary, detail) => warnings.push({ severity: 'warning', summary, ...(detail ? { detail } : {}) }),
      log: callLog,
    };
    call.on('cancelled', () => abort.abort(new DriverError('cancelled', 'the host cancelled the call')));
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(deadlineMs) && deadlineMs > 0) {
      timer = setTimeout(
        () => abort.abort(new DriverError('deadline-exceeded', 'the call ran past its deadline')),
        Math.max(0, deadlineMs - Date.now()),
      );
    }
    // A cancelled call may still be making things (a key file, a container)
    // when the host's rollback asks to remove the machine: Remove waits for
    // it to settle, so that nothing is made after the removal.
    const settling = rpc === 'Remove' ? [...inflight].filter((f) => f.machine === machine.name && f.abort.signal.aborted).map((f) => f.done) : [];
    const result = Promise.all(settling).then(() => fn(ctx, warnings));
    const entry: Inflight = { abort, machine: machine.name, done: result.catch(() => undefined) };
    inflight.add(entry);
    void entry.done.then(() => {
      inflight.delete(entry);
      if (timer) clearTimeout(timer);
    });
    return { result, warnings, signal: abort.signal };
  };

  const toStatus = (err: unknown, signal: AbortSignal, warnings: DiagnosticInfo[], rpc: string): Partial<grpcTypes.StatusObject> => {
    let diag: DiagnosticInfo;
    let code: number;
    if (isDriverErrorLike(err)) {
      code = GRPC_STATUS[err.code];
      diag = { severity: 'error', summary: err.message, ...(err.detail ? { detail: err.detail } : {}), ...(err.flag ? { flag: err.flag } : {}) };
    } else if (signal.aborted) {
      const reason: unknown = signal.reason;
      const kind = isDriverErrorLike(reason) ? reason.code : 'cancelled';
      code = GRPC_STATUS[kind];
      diag = { severity: 'error', summary: isDriverErrorLike(reason) ? reason.message : 'the call was cancelled' };
    } else {
      code = GRPC_STATUS.internal;
      const message = err instanceof Error ? err.message : String(err);
      diag = { severity: 'error', summary: message || 'the driver failed without a message' };
      log.error(`${rpc} failed with an unexpected error`, { error: message, stack: err instanceof Error ? err.stack : undefined });
    }
    const metadata = new grpc.Metadata();
    metadata.set(DIAGNOSTICS_TRAILER, wire.encodeDiagnostics({ diagnostics: [diag, ...warnings].map(diagnosticToWire) }));
    return { code, details: diag.summary, metadata };
  };

  const currentStateVersion = info.stateVersion ?? 1;
  const readState = (req: MachineRequest__Output, ctx: DriverContext): S => {
    let state: JsonObject;
    try {
      state = stateFromBytes(req.state);
    } catch (err) {
      throw new DriverError('invalid-argument', 'the stored driver state is not a JSON object', {
        detail: err instanceof Error ? err.message : String(err),
      });
    }
    const from = req.stateVersion;
    // 0 means the host did not record a version; treat the state as current.
    if (from > currentStateVersion) {
      throw new DriverError(
        'failed-precondition',
        `the machine's driver state was written by a newer "${info.name}" driver (state version ${from}, this driver knows ${currentStateVersion})`,
        { detail: 'Upgrade the driver.' },
      );
    }
    if (from > 0 && from < currentStateVersion) {
      if (!driver.upgradeState) {
        throw new DriverError('failed-precondition', `the "${info.name}" driver cannot read state version ${from}`);
      }
      return driver.upgradeState(ctx, state, from);
    }
    return state as S;
  };

  const result = (state: S | void, warnings: DiagnosticInfo[]): OperationResult => ({
    state: state ? stateToBytes(state) : Buffer.alloc(0),
    stateVersion: state ? currentStateVersion : 0,
    warnings: warnings.map(diagnosticToWire),
  });

  type UnaryFn<Res> = (ctx: DriverContext, req: MachineRequest__Output, warnings: DiagnosticInfo[]) => Promise<Res>;
  const unary =
    <Res>(rpc: string, fn: UnaryFn<Res>): grpcTypes.handleUnaryCall<MachineRequest__Output, Res> =>
    (call, callback) => {
      const machine = machineFromWire(call.request.machine);
      const h = run(rpc, call, machine, undefined, (ctx, warnings) => fn(ctx, call.request, warnings));
      h.result.then(
        (res) => {
          logWarnings(h.warnings, rpc);
          callback(null, res);
        },
        (err: unknown) => callback(toStatus(err, h.signal, h.warnings, rpc)),
      );
    };
  const logWarnings = (warnings: DiagnosticInfo[], rpc: string) => {
    for (const w of warnings) log.warn(w.summary, { rpc, detail: w.detail });
  };

  const streaming =
    (rpc: string, fn: (ctx: DriverContext, state: S) => Promise<S | void>): grpcTypes.handleServerStreamingCall<MachineRequest__Output, unknown> =>
    (call) => {
      const machine = machineFromWire(call.request.machine);
      const progress = (message: string) => {
        if (!call.cancelled && !call.writableEnded) call.write({ progress: { message } });
      };
      const h = run(rpc, call, machine, progress, (ctx) => fn(ctx, readState(call.request, ctx)));
      h.result.then(
        (state) => {
          if (call.cancelled) return;
          call.write({ result: result(state, h.warnings) });
          call.end();
        },
        (err: unknown) => {
          if (call.cancelled) return;
          call.emit('error', toStatus(err, h.signal, h.warnings, rpc));
        },
      );
    };

  const withState =
    <Res>(rpc: string, fn: (ctx: DriverContext, state: S, warnings: DiagnosticInfo[]) => Promise<Res>) =>
    unary<Res>(rpc, (ctx, req, warnings) => fn(ctx, readState(req, ctx), warnings));

  const getURL = async (ctx: DriverContext, state: S): Promise<string> => {
    if (driver.getURL) return driver.getURL(ctx, state);
    if ((await driver.getState(ctx, state)) !== 'Running') return '';
    const ip = await driver.getIP(ctx, state);
    return ip ? defaultURL(ip) : '';
  };

  const schema = driver.schema();
  const capabilities = new Set(info.capabilities ?? []);
  capabilities.add('describe');
  capabilities.add('cancel');
  if (driver.upgradeState) capabilities.add('upgrade-state');

  const impl: grpcTypes.UntypedServiceImplementation = {
    GetMetadata: (_call: unknown, callback: grpcTypes.sendUnaryData<unknown>) =>
      callback(null, {
        name: info.name,
        version: info.version,
        description: info.description ?? '',
        protocolVersions: [...ours],
        capabilities: [...capabilities],
        stateVersion: currentStateVersion,
        sdk: `${SDK_NAME} ${SDK_VERSION}`,
        provisioning: info.provisioning === 'none' ? 'PROVISIONING_NONE' : 'PROVISIONING_SSH',
      }),
    GetSchema: (_call: unknown, callback: grpcTypes.sendUnaryData<unknown>) => callback(null, { flags: schema.map(flagToWire) }),
    Configure: ((call: grpcTypes.ServerUnaryCall<ConfigureRequest__Output, unknown>, callback: grpcTypes.sendUnaryData<unknown>) => {
      const machine = machineFromWire(call.request.machine);
      const h = run('Configure', call, machine, undefined, async (ctx) => {
        const flags = checkFlags(schema, flagValuesFromWire(call.request.flags));
        const state = await driver.configure(ctx, flags);
        return { state: stateToBytes(state), stateVersion: currentStateVersion, warnings: [] as unknown[] };
      });
      h.result.then(
        (res) => callback(null, { ...res, warnings: h.warnings.map(diagnosticToWire) }),
        (err: unknown) => callback(toStatus(err, h.signal, h.warnings, 'Configure')),
      );
    }) as grpcTypes.handleUnaryCall<unknown, unknown>,
    PreCreateCheck: withState('PreCreateCheck', async (ctx, state, warnings) => {
      await driver.preCreateCheck?.(ctx, state);
      return result(undefined, warnings);
    }),
    Create: streaming('Create', (ctx, state) => driver.create(ctx, state)),
    Start: streaming('Start', (ctx, state) => driver.start(ctx, state)),
    Restart: streaming('Restart', (ctx, state) => driver.restart(ctx, state)),
    Stop: streaming('Stop', (ctx, state) => driver.stop(ctx, state)),
    Kill: withState('Kill', async (ctx, state, warnings) => result(await driver.kill(ctx, state), warnings)),
    Remove: withState('Remove', async (ctx, state, warnings) => {
      await driver.remove(ctx, state);
      return result(undefined, warnings);
    }),
    GetState: withState('GetState', async (ctx, state) => ({ state: stateToWire(await driver.getState(ctx, state)) })),
    GetIP: withState('GetIP', async (ctx, state) => ({ ip: await driver.getIP(ctx, state) })),
    GetURL: withState('GetURL', async (ctx, state) => ({ url: await getURL(ctx, state) })),
    GetSSHInfo: withState('GetSSHInfo', async (ctx, state) => driver.getSSHInfo(ctx, state)),
    Describe: withState('Describe', async (ctx, state) => {
      if (!driver.describe) return describe(driver, ctx, state, getURL);
      const d = await driver.describe(ctx, state);
      return {
        state: stateToWire(d.state),
        ip: d.ip,
        url: d.url,
        stateError: d.stateError ?? '',
        ipError: d.ipError ?? '',
        urlError: d.urlError ?? '',
      };
    }),
    UpgradeState: unary('UpgradeState', async (ctx, req, warnings) => {
      const upgraded = readState(req, ctx);
      return { state: stateToBytes(upgraded), stateVersion: currentStateVersion, warnings: warnings.map(diagnosticToWire) };
    }),
  };

  server.addService(wire.protos.machine.driver.v1.Driver.service, impl);
  addHealth(server, wire);
  server.addService(wire.protos.plugin.GRPCController.service, {
    Shutdown: (_call: unknown, callback: grpcTypes.sendUnaryData<unknown>) => {
      callback(null, {});
      // Answer first, then stop: go-plugin hosts wait for the reply.
      setImmediate(() => void terminate('shutdown requested by the host'));
    },
  });

  // Ctrl-C, `timeout`, a CI cancel and a closed terminal signal the whole
  // process group. A host that holds the stdin lifeline owns the driver's
  // lifetime: it may still need the driver to roll back, and it stops it
  // with the shutdown call or by closing the pipe. Without a lifeline
  // (a go-plugin host) SIGTERM and SIGHUP stop the driver as before.
  // Installed before the handshake so no signal can slip in between.
  const hostOwnsLifetime = process.env[ENV_LIFELINE] === 'stdin';
  process.on('SIGINT', () => log.debug('ignoring SIGINT; the host stops the driver'));
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (hostOwnsLifetime) log.debug(`ignoring ${sig}; the host stops the driver through its lifeline`);
      else void terminate(sig, 0, 1500);
    });
  }

  const bound = await listen(server, wire, log);
  files.socketDir = bound.socketDir;
  fs.writeSync(1, formatHandshake({ app: version, network: bound.network, address: bound.address, protocol: 'grpc', certDer: bound.certDer }));
  log.debug('driver serving', { network: bound.network, address: bound.address, protocol: version });

  watchHost(() => {
    hostGone = true;
    void terminate('the host went away');
  });
}

/** Docker Machine's default: the engine's TLS port on the machine's IP. */
function defaultURL(ip: string): string {
  return `tcp://${ip.includes(':') ? `[${ip}]` : ip}:2376`;
}


/** Required flags and value types, so every driver rejects bad input the same way. */
function checkFlags(schema: FlagSpec[], flags: FlagValues): FlagValues {
  const out: FlagValues = { ...flags };
  for (const spec of schema) {
    const value = out[spec.name];
    if (value === undefined) {
      if (spec.default !== undefined) out[spec.name] = spec.default;
      else if (spec.required) {
        throw new DriverError('invalid-argument', `the flag --${spec.name} is required`, { flag: spec.name, detail: spec.description });
      }
      continue;
    }
    const ok =
      (spec.type === 'string' && typeof value === 'string') ||
      (spec.type === 'int' && typeof value === 'number' && Number.isInteger(value)) ||
      (spec.type === 'bool' && typeof value === 'boolean') ||
      (spec.type === 'string-list' && Array.isArray(value));
    if (!ok) {
      throw new DriverError('invalid-argument', `the flag --${spec.name} takes a ${spec.type} value, got ${JSON.stringify(value)}`, {
        flag: spec.name,
      });
    }
    if (spec.required && (value === '' || (Array.isArray(value) && value.length === 0))) {
      throw new DriverError('invalid-argument', `the flag --${spec.name} is required`, { flag: spec.name, detail: spec.description });
    }
  }
  return out;
}

async function describe<S extends JsonObject>(
  driver: Driver<S>,
  ctx: DriverContext,
  state: S,
  getURL: (ctx: DriverContext, state: S) => Promise<string>,
): Promise<Description> {
  const out: Description = { state: 'MACHINE_STATE_NONE', ip: '', url: '', stateError: '', ipError: '', urlError: '' };
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err)) || 'unknown error';
  let st: MachineStateName = '';
  try {
    st = await driver.getState(ctx, state);
    out.state = stateToWire(st);
  } catch (err) {
    out.state = isDriverErrorLike(err) && err.code === 'not-found' ? 'MACHINE_STATE_NOT_FOUND' : 'MACHINE_STATE_ERROR';
    out.stateError = message(err);
    return out;
  }
  if (st === 'Not Found') return out;
  try {
    out.ip = await driver.getIP(ctx, state);
  } catch (err) {
    out.ipError = message(err);
  }
  try {
    if (driver.getURL) out.url = await getURL(ctx, state);
    // The default URL follows from state and IP, which are known by now.
    else if (st === 'Running' && out.ip) out.url = defaultURL(out.ip);
  } catch (err) {
    out.urlError = message(err);
  }
  return out;
}

function addHealth(server: grpcTypes.Server, wire: Wire): void {
  const known = new Set([...HEALTH_SERVICE_NAMES, 'machine.driver.v1.Driver']);
  server.addService(wire.protos.grpc.health.v1.Health.service, {
    Check: (call: grpcTypes.ServerUnaryCall<{ service: string }, unknown>, callback: grpcTypes.sendUnaryData<unknown>) => {
      if (known.has(call.request.service)) callback(null, { status: 'SERVING' });
      else callback({ code: wire.grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
    },
    Watch: (call: grpcTypes.ServerWritableStream<{ service: string }, unknown>) => {
      call.write({ status: known.has(call.request.service) ? 'SERVING' : 'SERVICE_UNKNOWN' });
      // Stays open until the host cancels it or the server stops.
    },
  });
}

interface Bound {
  network: 'unix' | 'tcp';
  address: string;
  socketDir?: string;
  certDer?: Buffer;
}

function bindAsync(server: grpcTypes.Server, target: string, creds: grpcTypes.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(target, creds, (err, port) => (err ? reject(err) : resolve(port))));
}

async function listen(server: grpcTypes.Server, wire: Wire, log: ReturnType<typeof createLogger>): Promise<Bound> {
  const { grpc } = wire;
  // go-plugin's AutoMTLS: a host that sends its certificate gets TLS on
  // whatever transport the driver picks (go-plugin hosts send it for unix
  // sockets too); ours sends it only with TCP.
  const clientCert = process.env[ENV_CLIENT_CERT];
  let creds = grpc.ServerCredentials.createInsecure();
  let certDer: Buffer | undefined;
  if (clientCert) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateEphemeralCert } = require('./mtls') as typeof import('./mtls');
    const own = generateEphemeralCert();
    certDer = own.certDer;
    creds = grpc.ServerCredentials.createSsl(Buffer.from(clientCert), [{ private_key: Buffer.from(own.keyPem), cert_chain: Buffer.from(own.certPem) }], true);
  }
  const forceTcp = process.env[ENV_TRANSPORT] === 'tcp' || process.platform === 'win32';
  if (!forceTcp) {
    // A fresh private directory per launch: a stale socket from a killed driver
    // can never block the bind, and only this user can connect.
    const bases = [process.env[ENV_UNIX_SOCKET_DIR], os.tmpdir()].filter((b): b is string => !!b);
    for (const base of bases) {
      let dir: string | undefined;
      try {
        dir = fs.mkdtempSync(path.join(base, 'mdrv-'));
        fs.chmodSync(dir, 0o700);
        const sock = path.join(dir, 'd.sock');
        // sun_path is 104–108 bytes; longer paths fail or get truncated.
        if (Buffer.byteLength(sock) > 100) throw new Error(`socket path too long: ${sock}`);
        await bindAsync(server, `unix:${sock}`, creds);
        return { network: 'unix', address: sock, socketDir: dir, certDer };
      } catch (err) {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        log.debug('unix socket unavailable', { base, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  const min = Number(process.env[ENV_MIN_PORT] ?? 0);
  const max = Number(process.env[ENV_MAX_PORT] ?? 0);
  if (min > 0 && max >= min) {
    for (let port = min; port <= max; port++) {
      try {
        const p = await bindAsync(server, `127.0.0.1:${port}`, creds);
        return { network: 'tcp', address: `127.0.0.1:${p}`, certDer };
      } catch {
        // port taken; try the next one, as go-plugin does
      }
    }
    throw new Error(`no free TCP port on 127.0.0.1 between ${min} and ${max}`);
  }
  const port = await bindAsync(server, '127.0.0.1:0', creds);
  return { network: 'tcp', address: `127.0.0.1:${port}`, certDer };
}

/**
 * Exits when the host is gone: EOF on stdin (when the host said it holds the
 * pipe open) or a changed parent process, which also covers a host killed
 * with SIGKILL.
 */
function watchHost(onGone: () => void): void {
  if (process.env[ENV_LIFELINE] === 'stdin') {
    process.stdin.on('data', () => undefined);
    process.stdin.on('end', onGone);
    process.stdin.on('close', onGone);
    process.stdin.on('error', onGone);
  }
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (currentParent() !== parent) onGone();
  }, 1000);
  timer.unref();
}

function currentParent(): number {
  if (process.platform === 'linux') {
    try {
      // Field 4 of /proc/self/stat, after the parenthesised command name.
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return process.ppid;
    }
  }
  return isProcessAlive(process.ppid) ? process.ppid : 1;
}
