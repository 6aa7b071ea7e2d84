// The interface a driver author implements. `serveDriver(new MyDriver())`
// (see serve.ts) turns it into a plugin executable.
import type {
  Description,
  DiagnosticInfo,
  ErrorCode,
  FlagSpec,
  FlagValues,
  JsonObject,
  MachineRef,
  MachineStateName,
  Provisioning,
  SSHInfo,
} from './types';

export interface DriverLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What every driver call receives besides the driver state. */
export interface DriverContext {
  machine: MachineRef;
  /** Aborted when the host cancels the call (Ctrl-C) or its deadline passes. */
  signal: AbortSignal;
  /** A progress line for the user; only shown for streaming calls. */
  progress(message: string): void;
  /** A warning shown to the user even when the call succeeds. */
  warn(summary: string, detail?: string): void;
  log: DriverLogger;
}

export interface DriverInfo {
  name: string;
  version: string;
  description?: string;
  /** Version of the driver state's schema; bump it and implement upgradeState when it changes. */
  stateVersion?: number;
  capabilities?: string[];
  /** What the host does after create; default "ssh". "none" for an engine that is already served. */
  provisioning?: Provisioning;
}

/**
 * Docker Machine's driver contract, stateless: the host passes the machine's
 * stored driver state to every call, and calls that change it return the new state.
 */
export interface Driver<S extends JsonObject = JsonObject> {
  readonly info: DriverInfo;
  schema(): FlagSpec[];
  /** Validate flags and build the initial state. Must not create anything. */
  configure(ctx: DriverContext, flags: FlagValues): Promise<S> | S;
  preCreateCheck?(ctx: DriverContext, state: S): Promise<void>;
  /** Create and start; SSH must be reachable with getSSHInfo's key afterwards. Undo on failure or abort. */
  create(ctx: DriverContext, state: S): Promise<S>;
  start(ctx: DriverContext, state: S): Promise<S | void>;
  stop(ctx: DriverContext, state: S): Promise<S | void>;
  restart(ctx: DriverContext, state: S): Promise<S | void>;
  kill(ctx: DriverContext, state: S): Promise<S | void>;
  /** Remove everything made for the machine; succeed when it is already gone. */
  remove(ctx: DriverContext, state: S): Promise<void>;
  getState(ctx: DriverContext, state: S): Promise<MachineStateName>;
  getIP(ctx: DriverContext, state: S): Promise<string>;
  /** Defaults to tcp://IP:2376 when running, "" otherwise. */
  getURL?(ctx: DriverContext, state: S): Promise<string>;
  getSSHInfo(ctx: DriverContext, state: S): Promise<SSHInfo>;
  /**
   * State, IP and URL in one call for `ls`, with per-field errors. The SDK
   * builds it from getState, getIP and getURL; override it when one remote
   * call can answer all three.
   */
  describe?(ctx: DriverContext, state: S): Promise<Description>;
  upgradeState?(ctx: DriverContext, state: JsonObject, fromVersion: number): S;
}

/** Throw this from a driver to give the user a typed, structured error. */
export class DriverError extends Error {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly flag?: string;
  constructor(code: ErrorCode, summary: string, options: { detail?: string; flag?: string; cause?: unknown } = {}) {
    super(summary, { cause: options.cause });
    this.name = 'DriverError';
    this.code = code;
    this.detail = options.detail;
    this.flag = options.flag;
  }

  toDiagnostic(): DiagnosticInfo {
    return { severity: 'error', summary: this.message, detail: this.detail, flag: this.flag };
  }
}
