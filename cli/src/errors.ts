// Errors a command reports to the user. Both the fast path (bin/run.js) and
// the oclif path print them the same way: the message on stderr, then exit
// with `exitCode`. Identify them by `code`, not instanceof, because the
// fast path and oclif may load different copies of this module.

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
  | 'driver'
  | 'not-running'
  | 'already-in-state'
  | 'tls'
  | 'cert-mismatch'
  | 'timeout'
  | 'precreate'
  | 'internal';

export class MachineError extends Error {
  readonly code: MachineErrorCode;
  readonly exitCode: number;
  constructor(code: MachineErrorCode, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MachineError';
    this.code = code;
    this.exitCode = options.exitCode ?? (code === 'precreate' ? EXIT_PRECREATE : EXIT_GENERAL);
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
