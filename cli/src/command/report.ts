// How a failed command ends, on both paths: what it had already produced on
// stdout when that is still due (PartialOutputError), the message on stderr
// (the reference's wording; no stack unless --debug), then its exit code.
import { EXIT_GENERAL, PartialOutputError, isMachineError } from '../errors';

export function reportError(e: unknown, err: (s: string) => void, debug: boolean, write: (s: string) => void): number {
  if (e instanceof PartialOutputError && e.partial) write(e.partial);
  if (isMachineError(e)) {
    err(e.message);
    if (debug && e.cause instanceof Error && e.cause.stack) err(e.cause.stack);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  err(msg.startsWith('Error') ? msg : `Error: ${msg}`);
  if (debug && e instanceof Error && e.stack) err(e.stack);
  return EXIT_GENERAL;
}
