// When and how long to wait before repeating an HTTP request to a cloud API.
// The drivers make their own requests (each API has its own auth, errors and
// pagination); what they share is the policy: which answers are worth
// repeating, exponential backoff with jitter, the server's own word on when
// to come back (Retry-After, RateLimit-Reset), and a sleep that a cancelled
// call ends at once.
import { setTimeout as delay } from 'node:timers/promises';

/** Answers that say "not now" rather than "no": throttling and server-side failures. */
export const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/**
 * Whether an answer may be repeated. A 500 to a request that is not
 * idempotent (a POST that creates) may have done its work before failing,
 * so it is only repeated when the caller says the request is safe to repeat.
 */
export function isRetriableStatus(status: number, idempotent = true): boolean {
  if (!RETRIABLE_STATUSES.has(status)) return false;
  return idempotent || status !== 500;
}

export interface Backoff {
  /** The first delay; doubled on each further attempt. */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

/**
 * The delay before attempt `attempt + 1` (attempt 0 is the first retry):
 * half of the exponential delay fixed, half random, so that clients
 * throttled together do not come back together.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/**
 * How long the server asked to wait, in ms: Retry-After (seconds, or an
 * HTTP date), else RateLimit-Reset as epoch seconds (DigitalOcean, GitHub).
 * Undefined when it did not say or the time has passed.
 */
export function serverRetryDelay(headers: Headers, now: number = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms) && ms > 0) return ms;
  }
  const reset = Number(headers.get('ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) {
    const ms = reset * 1000 - now;
    if (ms > 0) return ms;
  }
  return undefined;
}

/** The wait before repeating an answer: the server's, capped at `maxWaitMs`, else the backoff. */
export function retryDelay(status: number, headers: Headers, attempt: number, backoff: Backoff & { maxWaitMs: number }): number {
  const asked = status === 429 || status === 503 ? serverRetryDelay(headers) : undefined;
  if (asked !== undefined) return Math.min(asked + 50, backoff.maxWaitMs);
  return backoffDelay(attempt, backoff);
}

/** Waits `ms`; an abort ends the wait at once and rejects with the signal's reason. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? (signal.reason ?? err) : err;
  }
}

/** The short reason a fetch failed without an answer: ECONNREFUSED, ENOTFOUND, a TLS code, or the message. */
export function fetchFailureReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
