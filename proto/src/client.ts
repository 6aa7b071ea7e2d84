// The host's view of a running driver process. launchDriver (host.ts)
// returns one; the core never touches gRPC directly.
import type {
  Description,
  DiagnosticInfo,
  DriverMetadata,
  FlagSpec,
  FlagValues,
  JsonObject,
  MachineRef,
  MachineStateName,
  SSHInfo,
} from './types';

/** A machine as the core hands it to a driver call. */
export interface MachineCall {
  machine: MachineRef;
  state: JsonObject;
  stateVersion: number;
}

export interface OperationOutcome {
  /** Present when the driver changed its state; the core must persist it. */
  state?: JsonObject;
  stateVersion?: number;
  warnings: DiagnosticInfo[];
}

export interface StreamOptions {
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
  /** Overall deadline for the call in milliseconds. */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface DriverClient {
  readonly name: string;
  readonly path: string;
  readonly pid: number | undefined;
  readonly metadata: DriverMetadata;
  schema(options?: CallOptions): Promise<FlagSpec[]>;
  configure(machine: MachineRef, flags: FlagValues, options?: CallOptions): Promise<Required<Pick<OperationOutcome, 'state' | 'stateVersion'>> & OperationOutcome>;
  preCreateCheck(call: MachineCall, options?: CallOptions): Promise<OperationOutcome>;
  create(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome>;
  start(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome>;
  restart(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome>;
  stop(call: MachineCall, options?: StreamOptions): Promise<OperationOutcome>;
  kill(call: MachineCall, options?: CallOptions): Promise<OperationOutcome>;
  remove(call: MachineCall, options?: CallOptions): Promise<OperationOutcome>;
  getState(call: MachineCall, options?: CallOptions): Promise<MachineStateName>;
  getIP(call: MachineCall, options?: CallOptions): Promise<string>;
  getURL(call: MachineCall, options?: CallOptions): Promise<string>;
  getSSHInfo(call: MachineCall, options?: CallOptions): Promise<SSHInfo>;
  describe(call: MachineCall, options?: CallOptions): Promise<Description>;
  upgradeState(call: MachineCall, options?: CallOptions): Promise<Required<Pick<OperationOutcome, 'state' | 'stateVersion'>> & OperationOutcome>;
  /** The last lines the driver wrote to stderr, for error messages. */
  stderrTail(): string[];
  /** Shutdown call, then SIGTERM, then SIGKILL. Idempotent. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Driver name, used in messages and log prefixes. */
  name: string;
  /** Executable to run. */
  path: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Handshake timeout; default 60 s, or MACHINE_PLUGIN_START_TIMEOUT (seconds). */
  startTimeoutMs?: number;
  /** Protocol versions the host speaks; default [1]. */
  protocolVersions?: number[];
  /** Called with each JSON log line from the driver's stderr. */
  onLog?: (entry: { level: string; message: string; fields: Record<string, unknown> }) => void;
}
