// A small client for the DigitalOcean API v2 on Node's own fetch: bearer
// token, JSON, pagination through links.pages.next, the rate limit
// (ratelimit-remaining / ratelimit-reset, 429), and retries of 5xx and lost
// connections with exponential backoff. Six endpoints and a bearer header do
// not need a client library; this keeps the driver free of dependencies and
// the base URL injectable.
import type { DriverLogger } from '@machine/driver-sdk';
import { abortableSleep, backoffDelay, fetchFailureReason, isRetriableStatus, retryDelay } from '@machine/driver-sdk/http-retry';

export { abortableSleep };

/** An error answer of the API: its HTTP status and body ({"id":"not_found","message":...}). */
export class DoApiError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    readonly apiMessage: string,
    readonly method: string,
    readonly path: string,
    readonly requestId?: string,
  ) {
    super(`${method} ${path}: ${status} ${id}: ${apiMessage}`);
    this.name = 'DoApiError';
  }
}

/** The API could not be reached at all (refused, reset, DNS). */
export class DoNetworkError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`${method} ${path}: cannot reach ${baseUrl}: ${fetchFailureReason(cause)}`, { cause });
    this.name = 'DoNetworkError';
  }
}

export function isApiError(err: unknown, status?: number): err is DoApiError {
  return err instanceof DoApiError && (status === undefined || err.status === status);
}

export interface Timing {
  /** First retry delay; doubled on each attempt up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** The longest wait for a rate-limit reset before trying again anyway. */
  maxRateWaitMs: number;
  /** Interval between polls of an action or a droplet. */
  pollMs: number;
}

/** Default delays; MACHINE_DIGITALOCEAN_POLL_SECONDS shortens them for local endpoints. */
export function timing(env: NodeJS.ProcessEnv = process.env): Timing {
  const poll = Number(env.MACHINE_DIGITALOCEAN_POLL_SECONDS);
  if (Number.isFinite(poll) && poll > 0) {
    const ms = poll * 1000;
    return { backoffMs: ms, maxBackoffMs: ms * 8, maxRateWaitMs: 60_000, pollMs: ms };
  }
  return { backoffMs: 1000, maxBackoffMs: 30_000, maxRateWaitMs: 60_000, pollMs: 2000 };
}

export interface ApiOptions {
  baseUrl: string;
  token: string;
  /** Attempts after the first for 429, 5xx and lost connections. */
  retries?: number;
  timing?: Timing;
  log?: DriverLogger;
  userAgent?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  body?: unknown;
  /** Query parameters, added to the path. */
  query?: Record<string, string | number | undefined>;
}

export interface Page<T> {
  items: T[];
  next?: string;
}

interface RateState {
  remaining?: number;
  /** Epoch ms when the budget is refilled. */
  resetAt?: number;
}

/** The rate budget is per token, so every client of the process with the same token shares it. */
const rateStates = new Map<string, RateState>();


export class DigitalOceanApi {
  private readonly base: URL;
  private readonly retries: number;
  private readonly timing: Timing;
  private readonly rate: RateState;

  constructor(private readonly opts: ApiOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.retries = opts.retries ?? 6;
    this.timing = opts.timing ?? timing();
    const key = `${this.base.href}\u0000${opts.token}`;
    let rate = rateStates.get(key);
    if (!rate) rateStates.set(key, (rate = {}));
    this.rate = rate;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  /** DELETE; a 404 means it is already gone, which is what was asked. Returns false then. */
  async delete(path: string, options: RequestOptions = {}): Promise<boolean> {
    try {
      await this.request<unknown>('DELETE', path, options);
      return true;
    } catch (err) {
      if (isApiError(err, 404)) return false;
      throw err;
    }
  }

  /** Every item of a paginated list, following links.pages.next. */
  async list<T>(path: string, key: string, options: RequestOptions = {}): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = this.withQuery(path, { per_page: 200, ...options.query });
    for (let page = 0; next; page++) {
      if (page >= 1000) throw new Error(`${path}: more than 1000 pages; the API's next links do not end`);
      const body: Record<string, unknown> = await this.request<Record<string, unknown>>('GET', next, { signal: options.signal });
      const got = body[key];
      if (!Array.isArray(got)) throw new Error(`GET ${next}: the answer has no "${key}" list`);
      items.push(...(got as T[]));
      next = this.nextPage(body);
    }
    return items;
  }

  /**
   * The next page's path and query. The link's own host is not followed: the
   * token goes only to the configured API URL, even behind a proxy that
   * rewrites hosts.
   */
  private nextPage(body: Record<string, unknown>): string | undefined {
    const links = body.links as { pages?: { next?: unknown } } | undefined;
    const next = links?.pages?.next;
    if (typeof next !== 'string' || next === '') return undefined;
    const url = new URL(next, this.base);
    const basePath = this.base.pathname.replace(/\/$/, '');
    // Links name the full path (/v2/droplets?page=2); the base may carry a prefix of it.
    const rel = basePath && url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length + 1) : url.pathname.replace(/^\//, '');
    return `${rel}${url.search}`;
  }

  private withQuery(path: string, query: Record<string, string | number | undefined> | undefined): string {
    if (!query) return path;
    const [p, existing] = path.split('?', 2);
    const params = new URLSearchParams(existing);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && !params.has(k)) params.set(k, String(v));
    const q = params.toString();
    return q ? `${p}?${q}` : p;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const rel = this.withQuery(path.replace(/^\//, ''), options.query);
    const url = new URL(rel, this.base);
    const display = `/${rel}`;
    const idempotent = method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      await this.waitForBudget(options.signal);
      const started = Date.now();
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          signal: options.signal,
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            accept: 'application/json',
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(this.opts.userAgent ? { 'user-agent': this.opts.userAgent } : {}),
          },
          body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        this.opts.log?.debug('DigitalOcean request failed', { method, path: display, ms: Date.now() - started, error: fetchFailureReason(err) });
        // A POST may have arrived even though its answer did not; only requests that can be repeated are.
        if (!idempotent || attempt >= this.retries) throw new DoNetworkError(this.base.origin, method, display, err);
        await abortableSleep(this.backoff(attempt), options.signal);
        continue;
      }
      this.noteRateHeaders(res.headers);
      const text = await res.text();
      this.opts.log?.debug('DigitalOcean request', { method, path: display, status: res.status, ms: Date.now() - started });
      if (res.ok) return (text ? JSON.parse(text) : {}) as T;

      const error = apiError(res, text, method, display);
      // Even a create is repeated after a 500: the driver finds duplicates by its create tag and deletes them.
      if (!isRetriableStatus(res.status) || attempt >= this.retries) throw error;
      const wait = retryDelay(res.status, res.headers, attempt, this.backoffPolicy());
      this.opts.log?.debug('DigitalOcean request retried', { method, path: display, status: res.status, waitMs: wait, attempt: attempt + 1 });
      await abortableSleep(wait, options.signal);
    }
  }

  private backoffPolicy() {
    return { baseMs: this.timing.backoffMs, maxMs: this.timing.maxBackoffMs, maxWaitMs: this.timing.maxRateWaitMs };
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.backoffPolicy());
  }

  private noteRateHeaders(headers: Headers): void {
    const remaining = headers.get('ratelimit-remaining');
    const reset = headers.get('ratelimit-reset');
    if (remaining !== null && Number.isFinite(Number(remaining))) this.rate.remaining = Number(remaining);
    if (reset !== null && Number.isFinite(Number(reset))) this.rate.resetAt = Number(reset) * 1000;
  }

  /** When the last answer said the budget is spent, wait for its reset instead of earning a 429. */
  private async waitForBudget(signal?: AbortSignal): Promise<void> {
    const { remaining, resetAt } = this.rate;
    if (remaining === undefined || remaining > 0 || resetAt === undefined) return;
    const ms = Math.min(resetAt - Date.now() + 50, this.timing.maxRateWaitMs);
    // Only this once: the next answer brings fresh numbers.
    this.rate.remaining = undefined;
    if (ms > 0) {
      this.opts.log?.debug('DigitalOcean rate limit reached; waiting for the reset', { waitMs: ms });
      await abortableSleep(ms, signal);
    }
  }
}

function apiError(res: Response, text: string, method: string, path: string): DoApiError {
  let id = `http_${res.status}`;
  let message = text.trim().slice(0, 300) || res.statusText;
  let requestId: string | undefined;
  try {
    const body = JSON.parse(text) as { id?: unknown; message?: unknown; request_id?: unknown };
    if (typeof body.id === 'string') id = body.id;
    if (typeof body.message === 'string') message = body.message;
    if (typeof body.request_id === 'string') requestId = body.request_id;
  } catch {
    // Not JSON (a proxy's error page): keep the text.
  }
  return new DoApiError(res.status, id, message, method, path, requestId ?? res.headers.get('x-request-id') ?? undefined);
}
