// Error kinds on the wire. The numeric gRPC codes are spelled out here so
// that this module (and the package index) never loads @grpc/grpc-js.
import type { DiagnosticInfo, ErrorCode } from './types';

export const GRPC_STATUS: Readonly<Record<ErrorCode, number>> = {
  cancelled: 1,
  'invalid-argument': 3,
  'deadline-exceeded': 4,
  'not-found': 5,
  'already-exists': 6,
  'permission-denied': 7,
  'resource-exhausted': 8,
  'failed-precondition': 9,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
};

const BY_STATUS = new Map<number, ErrorCode>(Object.entries(GRPC_STATUS).map(([k, v]) => [v, k as ErrorCode]));

/** gRPC status code → our error kind; codes without a kind of their own are "internal". */
export function errorCodeFromStatus(status: number): ErrorCode {
  return BY_STATUS.get(status) ?? 'internal';
}

/**
 * A driver call failed, or the driver could not be started. Thrown by the
 * host (launchDriver and every DriverClient method). Check with
 * isDriverCallError() rather than instanceof when several copies of this
 * package may be loaded.
 */
export class DriverCallError extends Error {
  readonly code: ErrorCode;
  /** The user-facing line, without the driver prefix. */
  readonly summary: string;
  readonly detail?: string;
  /** The create flag at fault, without dashes. */
  readonly flag?: string;
  /** Driver name. */
  readonly driver: string;
  /** The RPC that failed ("Create"), or "launch" for start-up failures. */
  readonly call: string;
  /** The driver's last stderr lines when they help explain the failure (crash, launch). */
  readonly stderrTail: string[];
  /** All diagnostics the driver sent, errors first. */
  readonly diagnostics: DiagnosticInfo[];

  constructor(options: {
    code: ErrorCode;
    summary: string;
    detail?: string;
    flag?: string;
    driver: string;
    call: string;
    stderrTail?: string[];
    diagnostics?: DiagnosticInfo[];
    cause?: unknown;
  }) {
    const tail = options.stderrTail ?? [];
    let message = `(${options.driver}) ${options.summary}`;
    if (options.detail) message += `\n${options.detail}`;
    if (tail.length > 0) message += `\nLast lines the driver wrote to stderr:\n${tail.map((l) => `  ${l}`).join('\n')}`;
    super(message, { cause: options.cause });
    this.name = 'DriverCallError';
    this.code = options.code;
    this.summary = options.summary;
    this.detail = options.detail;
    this.flag = options.flag;
    this.driver = options.driver;
    this.call = options.call;
    this.stderrTail = tail;
    this.diagnostics = options.diagnostics ?? [];
  }
}

export function isDriverCallError(err: unknown): err is DriverCallError {
  return err instanceof Error && err.name === 'DriverCallError' && typeof (err as { code?: unknown }).code === 'string';
}

/** Guard for DriverError thrown by driver code, across package copies. */
export function isDriverErrorLike(err: unknown): err is Error & { code: ErrorCode; detail?: string; flag?: string } {
  return (
    err instanceof Error &&
    err.name === 'DriverError' &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as unknown as { code: string }).code in GRPC_STATUS
  );
}
