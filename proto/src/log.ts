// Driver-side logging: JSON lines on stderr with go-plugin's keys
// (@level, @message, @timestamp), which go-plugin hosts and ours parse.
import * as fs from 'node:fs';
import { format } from 'node:util';
import type { DriverLogger } from './driver';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * RFC 3339 UTC with six fractional digits, hclog's JSON time format
 * (2006-01-02T15:04:05.000000Z07:00): go-plugin hosts parse @timestamp with
 * exactly that layout and, when it fails, lose the line's level and fields.
 */
export function logTimestamp(epochMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.min(999, Math.floor((epochMs - wholeMs) * 1000));
  return `${new Date(wholeMs).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  const entry: Record<string, unknown> = { '@level': level, '@message': message, '@timestamp': logTimestamp() };
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      if (!k.startsWith('@')) entry[k] = v instanceof Error ? v.message : v;
    }
  }
  let line: string;
  try {
    line = JSON.stringify(entry);
  } catch {
    line = JSON.stringify({ '@level': level, '@message': message, '@timestamp': entry['@timestamp'] });
  }
  writeStderr(`${line}\n`);
}

/**
 * Straight to descriptor 2: process.stderr's first use builds Node's stream
 * machinery, a few milliseconds before a driver's handshake that its first
 * log line would otherwise cost. A pipe the host made is blocking; anything
 * else falls back to the stream, which waits for room itself.
 */
function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch (e) {
    // The host has gone; the lifeline ends this process in a moment.
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
    process.stderr.write(text);
  }
}

export function createLogger(base?: Record<string, unknown>): DriverLogger {
  const merge = (fields?: Record<string, unknown>) => (base ? { ...base, ...fields } : fields);
  return {
    debug: (m, f) => write('debug', m, merge(f)),
    info: (m, f) => write('info', m, merge(f)),
    warn: (m, f) => write('warn', m, merge(f)),
    error: (m, f) => write('error', m, merge(f)),
  };
}

/**
 * Keeps stdout for the handshake line alone: console output and any later
 * stdout writes (from the driver or its dependencies) become log lines on
 * stderr, because a host reads stdout as protocol.
 */
export function guardStdout(): void {
  console.log = (...args: unknown[]) => write('info', format(...args));
  console.info = (...args: unknown[]) => write('info', format(...args));
  console.debug = (...args: unknown[]) => write('debug', format(...args));
  console.warn = (...args: unknown[]) => write('warn', format(...args));
  console.error = (...args: unknown[]) => write('error', format(...args));
  const toStderr = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    for (const l of text.split('\n')) if (l.trim() !== '') write('info', l);
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  // process.stdout is made on first use, and making it loads Node's stream
  // machinery (a few ms of every driver start); patch it when it is made.
  const made = Object.getOwnPropertyDescriptor(process, 'stdout');
  const getStdout = made?.get;
  if (!getStdout || !made.configurable) {
    process.stdout.write = toStderr as typeof process.stdout.write;
    return;
  }
  let stdout: NodeJS.WriteStream | undefined;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: made.enumerable,
    get(): NodeJS.WriteStream {
      if (!stdout) {
        stdout = getStdout.call(process) as NodeJS.WriteStream;
        stdout.write = toStderr as typeof stdout.write;
      }
      return stdout;
    },
  });
}

export interface ParsedLogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

const BRACKET_LEVEL = /^\[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s*/;

/**
 * Host side: one stderr line → log entry, with go-plugin's rules: JSON with
 * @level/@message, else a [LEVEL] prefix, else debug.
 */
export function parseLogLine(line: string): ParsedLogLine {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    try {
      const obj = JSON.parse(trimmed) as Record<string, unknown>;
      if (obj && typeof obj === 'object' && ('@message' in obj || '@level' in obj)) {
        const fields: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) if (!k.startsWith('@')) fields[k] = v;
        return { level: String(obj['@level'] ?? 'debug').toLowerCase(), message: String(obj['@message'] ?? ''), fields };
      }
    } catch {
      // not JSON after all; fall through
    }
  }
  const m = BRACKET_LEVEL.exec(trimmed);
  if (m) return { level: m[1].toLowerCase(), message: trimmed.slice(m[0].length), fields: {} };
  return { level: 'debug', message: line, fields: {} };
}

/** How a log entry reads in an error message's stderr tail. */
export function formatLogLine(entry: ParsedLogLine): string {
  const extra = Object.entries(entry.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `[${entry.level.toUpperCase()}] ${entry.message}${extra ? ` ${extra}` : ''}`;
}
