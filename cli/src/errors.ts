// Errors a command reports to the user. Both the fast path (bin/run.js) and
// the oclif path print them the same way: the message on stderr, then exit
// with `exitCode`. Identify them by `code` (MachineError.is), not
// instanceof, because the fast path and oclif may load different copies of
// this module. MachineError.from turns whatever a layer below threw into
// one, keeping provisioning, SSH and TLS failures apart from the driver's.

export const EXIT_GENERAL = 1;
/** Docker Machine's exit code for a failed pre-create check. */
export const EXIT_PRECREATE = 3;

export type MachineErrorCode =
  | 'usage'
  | 'not-found'
  | 'already-exists'
  | 'invalid-name'
  | 'store'
  | 'config-version'
  | 'locked'
  | 'driver-not-found'
  /** A driver name that is a path or otherwise not a plain name: never looked up, never run. */
  | 'invalid-driver-name'
  | 'driver'
  | 'not-running'
  | 'already-in-state'
  | 'tls'
  | 'cert-mismatch'
  | 'timeout'
  | 'precreate'
  /** A swarm-mode operation failed: no manager answers, or the engine refused. */
  | 'swarm'
  /** Provisioning failed: OS detection, Docker installation, daemon configuration. */
  | 'provision'
  /** SSH: the host never answered, or a command on it failed. */
  | 'ssh'
  /** The host presented another SSH host key than the one recorded. */
  | 'ssh-host-key'
  | 'internal';

/** Error classes of the layers below, by the name each gives itself, and the code they map to. */
const CODE_BY_ERROR_NAME: Record<string, MachineErrorCode> = {
  ProvisionError: 'provision',
  DaemonConfigConflictError: 'provision',
  SshWaitTimeoutError: 'ssh',
  SshNotSpokenError: 'ssh',
  SshKeyFileError: 'ssh',
  SshCommandError: 'ssh',
  HostKeyMismatchError: 'ssh-host-key',
  DaemonError: 'tls',
};

export class MachineError extends Error {
  readonly code: MachineErrorCode;
  readonly exitCode: number;
  constructor(code: MachineErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MachineError';
    this.code = code;
    this.exitCode = options.exitCode ?? (code === 'precreate' ? EXIT_PRECREATE : EXIT_GENERAL);
  }

  /** Whether `e` is a MachineError (from any copy of this module), with one of `codes` when given. */
  static is(e: unknown, ...codes: MachineErrorCode[]): e is MachineError {
    return isMachineError(e) && (codes.length === 0 || codes.includes(e.code));
  }

  /**
   * `e` as a MachineError: itself when it is one; otherwise a new one with
   * the code its kind maps to (`fallback` for anything else), the message
   * prefixed by `context` when given, and `e` as the cause.
   */
  static from(e: unknown, fallback: MachineErrorCode = 'driver', context?: string): MachineError {
    if (isMachineError(e)) return e;
    const name = e instanceof Error ? e.name : '';
    const code = Object.prototype.hasOwnProperty.call(CODE_BY_ERROR_NAME, name) ? CODE_BY_ERROR_NAME[name] : fallback;
    const message = errorMessage(e);
    return new MachineError(code, context ? `${context}: ${message}` : message, { cause: e });
  }
}

/**
 * A usage error after which what the command had already produced still
 * goes to stdout first, as Go's templates write as they go (ls and inspect
 * --format): `partial`, exactly, with no newline added.
 */
export class PartialOutputError extends MachineError {
  constructor(
    message: string,
    readonly partial: string,
  ) {
    super('usage', message);
  }
}

export function isMachineError(e: unknown): e is MachineError {
  return e instanceof Error && (e as { name?: string }).name === 'MachineError' && typeof (e as { code?: unknown }).code === 'string';
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Docker Machine's wording, with our binary's name. */
export function notExistError(name: string): MachineError {
  return new MachineError(
    'not-found',
    `Docker machine "${name}" does not exist. Use "machine ls" to list machines. Use "machine create" to add a new one.`,
  );
}
