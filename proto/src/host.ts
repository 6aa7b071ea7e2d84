// launchDriver(): the core's side of the plugin protocol. Starts a driver
// executable, checks the handshake, dials it and wraps every RPC in a typed,
// promise-based DriverClient. The only place the core meets gRPC.
import { setTimeout as delay } from 'node:timers/promises';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import type { CallOptions, DriverClient, LaunchOptions, MachineCall, OperationOutcome, StreamOptions } from './client';
import {
  DIAGNOSTICS_TRAILER,
  ENV_CLIENT_CERT,
  ENV_START_TIMEOUT,
  ENV_TRANSPORT,
  HOST_REGISTRY,
  PROTOCOL_VERSIONS,
} from './constants';
import {
  diagnosticFromWire,
  flagFromWire,
  flagValuesToWire,
  stateFromBytes,
  stateFromWire,
  stateToBytes,
} from './convert';
import { DriverCallError, errorCodeFromStatus } from './errors';
import { HandshakeError, parseHandshake, type HandshakeLine } from './handshake';
import { formatLogLine, parseLogLine } from './log';
import { removeLaunchRecord, removeSocket, sweepStaleLaunches, writeLaunchRecord } from './launch-record';
import { adoptPrespawned, launchEnvironment, makeSocketBase, startDriverProcess, type StartedDriverProcess } from './prespawn';
import type { DriverClient as WireClient } from './gen/machine/driver/v1/Driver';
import type { OperationEvent__Output } from './gen/machine/driver/v1/OperationEvent';
import type { OperationResult__Output } from './gen/machine/driver/v1/OperationResult';
import type { HealthClient } from './gen/grpc/health/v1/Health';
import type { GRPCControllerClient } from './gen/plugin/GRPCController';
import type {
  Description,
  DiagnosticInfo,
  DriverMetadata,
  ErrorCode,
  FlagSpec,
  FlagValues,
  JsonObject,
  MachineRef,
  MachineStateName,
  SSHInfo,
} from './types';
import { loadWire, type Wire } from './wire';

export { DriverCallError, isDriverCallError } from './errors';
export type { DriverClient, LaunchOptions, MachineCall, OperationOutcome, StreamOptions, CallOptions } from './client';

/** Lines of driver stderr kept for error messages. */
const TAIL_LINES = 40;
/** Lines shown in an error message. */
const SHOWN_TAIL = 15;
/** Default deadline of calls that only read (state, IP, schema…). Lifecycle calls have none unless asked. */
const READ_TIMEOUT_MS = 60_000;
const SHUTDOWN_GRACE_MS = 2_000;
/** After the host cancelled a call, the driver may still be undoing work; give it longer to exit. */
const CANCELLED_GRACE_MS = 30_000;

const live = new Set<HostedDriver>();
let exitHookInstalled = false;

/**
 * Stops every driver this process launched and has not closed yet. Call it
 * from the CLI's error and signal paths; a process-exit hook also kills any
 * left over synchronously, and the stdin lifeline covers a host killed hard.
 */
export async function closeAllDrivers(): Promise<void> {
  await Promise.allSettled([...live].map((d) => d.close()));
}

/** Number of drivers launched by this process that are still running (for tests and `ls` accounting). */
export function liveDriverCount(): number {
  return live.size;
}

{
  const registry = globalThis as Record<symbol, unknown>;
  const previous = registry[HOST_REGISTRY] as { closeAllDrivers(): Promise<void> } | undefined;
  registry[HOST_REGISTRY] = {
    closeAllDrivers: async () => {
      await Promise.all([closeAllDrivers(), previous?.closeAllDrivers()]);
    },
  };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const d of live) d.killNow();
  });
}

let clientCert: import('./mtls').EphemeralCert | undefined;

/** Starts a driver executable and returns a connected client. Throws DriverCallError (call "launch"). */
export async function launchDriver(options: LaunchOptions): Promise<DriverClient> {
  const baseEnv = options.env ?? process.env;
  let tcp = baseEnv[ENV_TRANSPORT] === 'tcp' || process.platform === 'win32';
  for (let attempt = 0; ; attempt++) {
    const d = new HostedDriver(options, tcp);
    try {
      await d.launch();
      return d;
    } catch (err) {
      await d.close();
      // A driver that could not use a unix socket fell back to TCP; go again
      // offering AutoMTLS, so TCP is never used without it.
      if (err instanceof NeedsTls && attempt === 0) {
        tcp = true;
        continue;
      }
      throw err;
    }
  }
}

class NeedsTls extends Error {}

class HostedDriver implements DriverClient {
  readonly name: string;
  readonly path: string;
  metadata!: DriverMetadata;
  private child?: ChildProcessWithoutNullStreams;
  private socketBase?: string;
  /** A unix socket the driver made outside socketBase (older go-plugin: /tmp/pluginNNN). */
  private outsideSocket?: string;
  private wire?: Wire;
  private channel?: grpcTypes.Channel;
  private driverClient?: WireClient;
  private tail: string[] = [];
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private exited: Promise<void>;
  private markExited!: () => void;
  private closing?: Promise<void>;
  private cancelledCalls = 0;
  private readonly hostVersions: number[];

  constructor(
    private readonly options: LaunchOptions,
    private readonly tcp: boolean,
  ) {
    this.name = options.name;
    this.path = options.path;
    this.hostVersions = options.protocolVersions ?? [...PROTOCOL_VERSIONS];
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  stderrTail(): string[] {
    return [...this.tail];
  }

  private launchError(code: ErrorCode, summary: string, detail?: string, withTail = true): DriverCallError {
    return new DriverCallError({
      code,
      summary,
      detail,
      driver: this.name,
      call: 'launch',
      stderrTail: withTail ? this.tail.slice(-SHOWN_TAIL) : [],
    });
  }

  async launch(): Promise<void> {
    const baseEnv = this.options.env ?? process.env;
    const timeoutMs = this.options.startTimeoutMs ?? startTimeoutFromEnv(baseEnv) ?? 60_000;
    // The host's pid in the name, and a launch record (launch-record.ts):
    // what a host killed outright leaves (this directory, a go-plugin driver
    // still running, its socket) is swept by a later launch, while its
    // driver starts.
    // A process the CLI started ahead for this very launch (prespawn.ts) is
    // taken over; over TCP the driver needs the client certificate, which
    // no prespawn offers.
    const adopted = this.tcp ? undefined : adoptPrespawned({ path: this.path, args: this.options.args, env: baseEnv, protocolVersions: this.hostVersions });
    this.socketBase = adopted?.socketBase ?? makeSocketBase();
    const env = launchEnvironment(baseEnv, this.socketBase, this.hostVersions);
    if (this.tcp) {
      if (!clientCert) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        clientCert = (require('./mtls') as typeof import('./mtls')).generateEphemeralCert();
      }
      env[ENV_CLIENT_CERT] = clientCert.certPem;
      env[ENV_TRANSPORT] = 'tcp';
    }

    const handshake = this.spawnAndHandshake(env, timeoutMs, adopted);
    // The driver is starting on another core; load gRPC here meanwhile
    // instead of after its handshake line arrives, and sweep what dead hosts
    // left (listing a large temp dir takes milliseconds). Awaited together,
    // so a failed handshake is never left without a handler.
    const swept = sweepOnce();
    this.wire = loadWire();
    const [line] = await Promise.all([handshake, swept]);
    // Recorded before the line is validated: a driver refused for its
    // version has made its socket all the same.
    this.recordOutsideSocket(line);
    let hs: HandshakeLine;
    try {
      hs = parseHandshake(line, this.hostVersions);
    } catch (err) {
      const message = err instanceof HandshakeError ? err.message : String(err);
      throw this.launchError('failed-precondition', `cannot use the driver at ${this.path}: ${message}`);
    }
    if (hs.network === 'tcp' && !this.tcp) throw new NeedsTls();
    if (hs.network === 'tcp' && !hs.certDer) {
      throw this.launchError(
        'failed-precondition',
        `the driver at ${this.path} answered over TCP without a TLS certificate although the host offered AutoMTLS (${ENV_CLIENT_CERT})`,
        'Update the driver to an SDK that supports AutoMTLS.',
      );
    }
    this.connect(hs);
    const deadline = Date.now() + Math.max(5_000, timeoutMs);
    // GetMetadata goes out with the health check (gRPC queues both until the
    // connection is up): one round trip instead of two before the first call.
    // A health failure is the one reported; the metadata's own error only
    // once the driver said it is healthy.
    const metadata = this.unary<{ name: string; version: string; description: string; protocolVersions: number[]; capabilities: string[]; stateVersion: number; sdk: string; provisioning: string }>(
      'GetMetadata',
      {},
      { timeoutMs: Math.max(5_000, deadline - Date.now()) },
    );
    metadata.catch(() => undefined);
    try {
      await this.healthCheck(deadline);
    } catch (err) {
      const e = err as grpcTypes.ServiceError;
      throw this.launchError('unavailable', `the driver at ${this.path} did not report healthy: ${e.details || e.message}`);
    }
    const md = await metadata;
    this.metadata = {
      name: md.name,
      version: md.version,
      description: md.description,
      protocolVersions: md.protocolVersions,
      capabilities: md.capabilities,
      stateVersion: md.stateVersion,
      sdk: md.sdk,
      provisioning: md.provisioning === 'PROVISIONING_NONE' ? 'none' : 'ssh',
    };
  }

  private recordOutsideSocket(line: string): void {
    const [, , network, address] = line.split('|');
    if (network !== 'unix' || !address || this.child?.pid === undefined || !this.socketBase) return;
    if (address.startsWith(this.socketBase + path.sep)) return;
    this.outsideSocket = address;
    writeLaunchRecord(this.socketBase, this.child.pid, address);
  }

  private spawnAndHandshake(env: NodeJS.ProcessEnv, timeoutMs: number, adopted?: StartedDriverProcess): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown, line?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(line ?? '');
      };
      let started: StartedDriverProcess;
      try {
        started = adopted ?? startDriverProcess({ path: this.path, args: this.options.args }, env, this.socketBase as string);
      } catch (err) {
        finish(this.spawnError(err));
        return;
      }
      const child = (this.child = started.child);
      live.add(this);
      installExitHook();

      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exit) return;
        this.exit = { code, signal };
        this.markExited();
        live.delete(this);
        // Let the last stderr lines arrive before the error is built.
        setTimeout(
          () => finish(this.launchError('unavailable', `the driver at ${this.path} exited (${describeExit(code, signal)}) before completing the handshake`)),
          100,
        );
      };
      child.on('error', (err) => finish(this.spawnError(err)));
      child.on('exit', onExit);
      // What happened to an adopted process before anyone listened.
      if (started.spawnError) finish(this.spawnError(started.spawnError));
      else if (started.exit) onExit(started.exit.code, started.exit.signal);

      let stderrBuf = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderrBuf += chunk;
        let nl: number;
        while ((nl = stderrBuf.indexOf('\n')) >= 0) {
          this.onStderrLine(stderrBuf.slice(0, nl));
          stderrBuf = stderrBuf.slice(nl + 1);
        }
      });
      child.stderr.on('end', () => {
        if (stderrBuf) this.onStderrLine(stderrBuf);
        stderrBuf = '';
      });

      let stdoutBuf = '';
      let gotLine = false;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (gotLine) {
          // Keep draining so the driver never blocks on a full pipe.
          for (const l of chunk.split('\n')) if (l.trim()) this.options.onLog?.({ level: 'debug', message: l, fields: { stream: 'stdout' } });
          return;
        }
        stdoutBuf += chunk;
        const nl = stdoutBuf.indexOf('\n');
        if (nl >= 0) {
          gotLine = true;
          finish(null, stdoutBuf.slice(0, nl));
        }
      });
      const timer = setTimeout(
        () =>
          finish(
            this.launchError(
              'deadline-exceeded',
              `the driver at ${this.path} did not complete the handshake within ${seconds(timeoutMs)}`,
              `If it is just slow to start, raise ${ENV_START_TIMEOUT} (seconds).`,
            ),
          ),
        timeoutMs,
      );
    });
  }

  private spawnError(err: unknown): DriverCallError {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return this.launchError('not-found', `the driver executable ${this.path} does not exist`, undefined, false);
    if (e.code === 'EACCES') {
      return this.launchError('permission-denied', `the driver executable ${this.path} is not executable`, `Fix it with: chmod +x ${this.path}`, false);
    }
    return this.launchError('unavailable', `cannot start the driver executable ${this.path}: ${e.message}`, undefined, false);
  }

  private onStderrLine(line: string): void {
    if (line.trim() === '') return;
    const entry = parseLogLine(line);
    const isJson = line.trim().startsWith('{') && entry.fields !== undefined && line.includes('@');
    this.tail.push(isJson ? formatLogLine(entry) : line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.options.onLog?.(entry);
  }

  private connect(hs: HandshakeLine): void {
    const wire = (this.wire = loadWire());
    const { grpc } = wire;
    const channelOptions: grpcTypes.ChannelOptions = {
      // A user's http_proxy must never capture loopback driver traffic.
      'grpc.enable_http_proxy': 0,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    };
    let creds: grpcTypes.ChannelCredentials;
    const target = hs.network === 'unix' ? `unix:${hs.address}` : hs.address;
    if (!hs.certDer) {
      creds = grpc.credentials.createInsecure();
    } else {
      if (!clientCert) throw this.launchError('failed-precondition', `the driver at ${this.path} answered with a TLS certificate the host did not ask for`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { derToPem } = require('./mtls') as typeof import('./mtls');
      creds = grpc.credentials.createSsl(Buffer.from(derToPem(hs.certDer as Buffer)), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem), {
        checkServerIdentity: () => undefined,
      });
      channelOptions['grpc.ssl_target_name_override'] = 'localhost';
      channelOptions['grpc.default_authority'] = 'localhost';
    }
    this.channel = new grpc.Channel(target, creds, channelOptions);
    const override = { channelOverride: this.channel };
    this.driverClient = new wire.protos.machine.driver.v1.Driver(target, creds, override);
  }

  private healthCheck(deadline: number): Promise<void> {
    const wire = this.wire!;
    const health = new wire.protos.grpc.health.v1.Health('unused', wire.grpc.credentials.createInsecure(), {
      channelOverride: this.channel,
    }) as HealthClient;
    return new Promise((resolve, reject) => {
      health.Check({ service: 'plugin' }, { deadline, waitForReady: true } as grpcTypes.CallOptions, (err, res) => {
        if (err) reject(err);
        else if (res?.status !== 'SERVING') reject(new Error(`health status ${String(res?.status)}`));
        else resolve();
      });
    });
  }

  private checkOpen(method: string): void {
    if (this.closing || this.exit) {
      throw new DriverCallError({
        code: 'unavailable',
        summary: this.exit && !this.closing ? `the driver is no longer running (${describeExit(this.exit.code, this.exit.signal)})` : 'the driver was closed',
        driver: this.name,
        call: method,
        stderrTail: this.exit && !this.closing ? this.tail.slice(-SHOWN_TAIL) : [],
      });
    }
  }

  private async toCallError(err: grpcTypes.ServiceError, method: string, signal?: AbortSignal, timeoutMs?: number): Promise<DriverCallError> {
    const code = errorCodeFromStatus(err.code);
    const diagnostics: DiagnosticInfo[] = [];
    const raw = err.metadata?.get(DIAGNOSTICS_TRAILER) ?? [];
    for (const value of raw) {
      try {
        const decoded = this.wire!.decodeDiagnostics(Buffer.isBuffer(value) ? value : Buffer.from(value));
        diagnostics.push(...decoded.diagnostics.map(diagnosticFromWire));
      } catch {
        // a malformed trailer must not hide the status itself
      }
    }
    const primary = diagnostics.find((d) => d.severity === 'error');
    if (code === 'cancelled' && signal?.aborted) {
      this.cancelledCalls++;
      return new DriverCallError({ code, summary: `${method} was cancelled`, driver: this.name, call: method, diagnostics, cause: err });
    }
    if (code === 'deadline-exceeded' && !primary) {
      return new DriverCallError({
        code,
        summary: `${method} did not finish within ${seconds(timeoutMs ?? 0)}`,
        driver: this.name,
        call: method,
        diagnostics,
        cause: err,
      });
    }
    if (!primary && this.closing) {
      return new DriverCallError({ code: 'cancelled', summary: `${method} was interrupted because the driver was closed`, driver: this.name, call: method, cause: err });
    }
    if (!primary && (code === 'unavailable' || code === 'internal' || code === 'cancelled')) {
      // The connection broke: usually the driver died. Wait a moment for the
      // exit status and its last words on stderr.
      // A referenced timer on purpose: close() must not let the host exit before the driver has.
      await Promise.race([this.exited, delay(1000)]);
      if (this.exit) {
        return new DriverCallError({
          code: 'unavailable',
          summary: `the driver exited unexpectedly (${describeExit(this.exit.code, this.exit.signal)}) during ${method}`,
          driver: this.name,
          call: method,
          stderrTail: this.tail.slice(-SHOWN_TAIL),
          cause: err,
        });
      }
      return new DriverCallError({
        code,
        summary: `${method} failed: ${err.details || err.message}`,
        driver: this.name,
        call: method,
        stderrTail: this.tail.slice(-SHOWN_TAIL),
        cause: err,
      });
    }
    return new DriverCallError({
      code,
      summary: primary?.summary || err.details || `${method} failed`,
      detail: primary?.detail,
      flag: primary?.flag,
      driver: this.name,
      call: method,
      diagnostics,
      cause: err,
    });
  }

  private unary<Res>(method: string, request: object, options: CallOptions & { defaultTimeoutMs?: number } = {}): Promise<Res> {
    this.checkOpen(method);
    const timeoutMs = options.timeoutMs ?? options.defaultTimeoutMs;
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(new DriverCallError({ code: 'cancelled', summary: `${method} was cancelled`, driver: this.name, call: method }));
    }
    const callOptions: grpcTypes.CallOptions = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
    const fn = (this.driverClient as unknown as Record<string, (req: object, opts: grpcTypes.CallOptions, cb: (err: grpcTypes.ServiceError | null, res?: Res) => void) => grpcTypes.ClientUnaryCall>)[method];
    return new Promise<Res>((resolve, reject) => {
      const call = fn.call(this.driverClient, request, callOptions, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) this.toCallError(err, method, signal, timeoutMs).then(reject, reject);
        else resolve(res as Res);
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private stream(method: string, call: MachineCall, options: StreamOptions = {}): Promise<OperationOutcome> {
    this.checkOpen(method);
    const { signal, onProgress, timeoutMs } = options;
    if (signal?.aborted) {
      return Promise.reject(new DriverCallError({ code: 'cancelled', summary: `${method} was cancelled`, driver: this.name, call: method }));
    }
    const callOptions: grpcTypes.CallOptions = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
    const fn = (this.driverClient as unknown as Record<string, (req: object, opts: grpcTypes.CallOptions) => grpcTypes.ClientReadableStream<OperationEvent__Output>>)[method];
    return new Promise<OperationOutcome>((resolve, reject) => {
      const stream = fn.call(this.driverClient, machineRequest(call), callOptions);
      let outcome: OperationOutcome | undefined;
      let failed = false;
      const onAbort = () => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (ev: OperationEvent__Output) => {
        if (ev.progress) {
          try {
            onProgress?.(ev.progress.message);
          } catch {
            // a throwing progress callback must not break the call
          }
        } else if (ev.result) {
          outcome = toOutcome(ev.result);
        }
      });
      stream.on('error', (err: grpcTypes.ServiceError) => {
        failed = true;
        signal?.removeEventListener('abort', onAbort);
        this.toCallError(err, method, signal, timeoutMs).then(reject, reject);
      });
      stream.on('status', (status: grpcTypes.StatusObject) => {
        if (failed || status.code !== 0) return;
        signal?.removeEventListener('abort', onAbort);
        if (outcome) resolve(outcome);
        else reject(new DriverCallError({ code: 'internal', summary: `${method} ended without a result`, driver: this.name, call: method }));
      });
    });
  }

  async schema(options?: CallOptions): Promise<FlagSpec[]> {
    const res = await this.unary<{ flags: Parameters<typeof flagFromWire>[0][] }>('GetSchema', {}, { ...options, defaultTimeoutMs: READ_TIMEOUT_MS });
    return res.flags.map(flagFromWire);
  }

  async configure(machine: MachineRef, flags: FlagValues, options?: CallOptions) {
    const res = await this.unary<OperationResult__Output>('Configure', { machine, flags: flagValuesToWire(flags) }, { ...options, defaultTimeoutMs: READ_TIMEOUT_MS });
    return { state: stateFromBytes(res.state), stateVersion: res.stateVersion, warnings: res.warnings.map(diagnosticFromWire) };
  }

  async preCreateCheck(call: MachineCall, options?: CallOptions): Promise<OperationOutcome> {
    return toOutcome(await this.unary<OperationResult__Output>('PreCreateCheck', machineRequest(call), options));
  }

  create(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome> {
    return this.stream('Create', call, options);
  }

  start(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome> {
    return this.stream('Start', call, options);
  }

  restart(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome> {
    return this.stream('Restart', call, options);
  }

  stop(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome> {
    return this.stream('Stop', call, options);
  }

  async kill(call: MachineCall, options?: CallOptions): Promise<OperationOutcome> {
    return toOutcome(await this.unary<OperationResult__Output>('Kill', machineRequest(call), options));
  }

  async remove(call: MachineCall, options?: CallOptions): Promise<OperationOutcome> {
    return toOutcome(await this.unary<OperationResult__Output>('Remove', machineRequest(call), options));
  }

  async getState(call: MachineCall, options?: CallOptions): Promise<MachineStateName> {
    const res = await this.unary<{ state: string }>('GetState', machineRequest(call), { ...options, defaultTimeoutMs: READ_TIMEOUT_MS });
    return stateFromWire(res.state);
  }

  async getIP(call: MachineCall, options?: CallOptions): Promise<string> {
    return (await this.unary<{ ip: string }>('GetIP', machineRequest(call), { ...options, defaultTimeoutMs: READ_TIMEOUT_MS })).ip;
  }

  async getURL(call: MachineCall, options?: CallOptions): Promise<string> {
    return (await this.unary<{ url: string }>('GetURL', machineRequest(call), { ...options, defaultTimeoutMs: READ_TIMEOUT_MS })).url;
  }

  async getSSHInfo(call: MachineCall, options?: CallOptions): Promise<SSHInfo> {
    const res = await this.unary<SSHInfo>('GetSSHInfo', machineRequest(call), { ...options, defaultTimeoutMs: READ_TIMEOUT_MS });
    return { host: res.host, port: res.port, user: res.user, keyPath: res.keyPath, ...(res.hostKey ? { hostKey: res.hostKey } : {}) };
  }

  async describe(call: MachineCall, options?: CallOptions): Promise<Description> {
    const res = await this.unary<{ state: string; ip: string; url: string; stateError: string; ipError: string; urlError: string }>(
      'Describe',
      machineRequest(call),
      { ...options, defaultTimeoutMs: READ_TIMEOUT_MS },
    );
    const out: Description = { state: stateFromWire(res.state), ip: res.ip, url: res.url };
    if (res.stateError) out.stateError = res.stateError;
    if (res.ipError) out.ipError = res.ipError;
    if (res.urlError) out.urlError = res.urlError;
    return out;
  }

  async upgradeState(call: MachineCall, options?: CallOptions) {
    const res = await this.unary<OperationResult__Output>('UpgradeState', machineRequest(call), { ...options, defaultTimeoutMs: READ_TIMEOUT_MS });
    return { state: stateFromBytes(res.state), stateVersion: res.stateVersion, warnings: res.warnings.map(diagnosticFromWire) };
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const child = this.child;
    // A failed spawn has no pid and will never exit.
    if (child?.pid !== undefined && !this.exit) {
      if (this.channel && this.wire) {
        const controller = new this.wire.protos.plugin.GRPCController('unused', this.wire.grpc.credentials.createInsecure(), {
          channelOverride: this.channel,
        }) as GRPCControllerClient;
        await new Promise<void>((resolve) => controller.Shutdown({}, { deadline: Date.now() + SHUTDOWN_GRACE_MS }, () => resolve()));
        // No call follows the shutdown; closing our end now lets the
        // driver's graceful server shutdown finish without waiting for it.
        this.channel.close();
      }
      // Without a connection there was no shutdown call to wait for.
      const grace = !this.channel ? 0 : this.cancelledCalls > 0 ? CANCELLED_GRACE_MS : SHUTDOWN_GRACE_MS;
      if (!(await this.waitExit(grace))) {
        // A driver under a stdin lifeline ignores SIGTERM (it arrives with the
        // process group's signals too): closing the pipe is its stop signal.
        this.options.onLog?.({ level: 'warn', message: 'driver did not exit after the shutdown call; closing its lifeline', fields: {} });
        child.stdin.destroy();
        child.kill('SIGTERM');
        if (!(await this.waitExit(SHUTDOWN_GRACE_MS))) {
          child.kill('SIGKILL');
          await this.waitExit(SHUTDOWN_GRACE_MS);
        }
      }
    }
    child?.stdin.destroy();
    this.channel?.close();
    this.cleanupFiles();
    live.delete(this);
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (this.exit) return true;
    // The grace timer is cleared once the driver has exited: left running it
    // would hold the host process open for the whole grace period.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    return this.exit !== undefined;
  }

  private cleanupFiles(): void {
    if (this.socketBase) fs.rmSync(this.socketBase, { recursive: true, force: true });
    // A driver stopped by a signal cannot remove a socket it made elsewhere.
    removeSocket(this.outsideSocket);
    if (this.child?.pid !== undefined) removeLaunchRecord(this.child.pid);
  }

  /** Synchronous last resort at process exit. */
  killNow(): void {
    if (this.child && !this.exit) {
      this.child.stdin.destroy();
      this.child.kill('SIGTERM');
    }
    this.cleanupFiles();
  }
}

let swept: Promise<void> | undefined;

/** Cleans up after hosts that no longer run, once per process. */
function sweepOnce(): Promise<void> {
  swept ??= sweepStaleLaunches();
  return swept;
}

function machineRequest(call: MachineCall): object {
  return { machine: call.machine, state: stateToBytes(call.state), stateVersion: call.stateVersion };
}

function toOutcome(res: OperationResult__Output): OperationOutcome {
  const out: OperationOutcome = { warnings: res.warnings.map(diagnosticFromWire) };
  if (res.state && res.state.length > 0) {
    out.state = stateFromBytes(res.state) as JsonObject;
    out.stateVersion = res.stateVersion;
  }
  return out;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Math.round(ms / 1000)} s`;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function startTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[ENV_START_TIMEOUT];
  if (!raw) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}


/** Loads gRPC and the protocol now (otherwise the first launch does), and how long that took. */
export { loadWire as preloadProtocol, loadTimings } from './wire';
