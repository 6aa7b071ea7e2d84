// Waiting for a host's SSH server. Freshly made hosts refuse connections for
// a while, then accept TCP before sshd is ready, then may reject the key until
// cloud-init installs it: every one of those is retried, quickly, until the
// deadline, and the last error is what the user sees.
import { setTimeout as sleep } from 'node:timers/promises';
import { HostKeyMismatchError } from '../ssh/hostkey';
import { SshConnection, SshKeyFileError, SshNoHandshakeError, type HostKeyCheck, type SshTarget } from '../ssh/client';

/**
 * Handshake time-outs on a port that accepts TCP, in a row, before giving up:
 * a booting host refuses or drops connections, it does not hold them silent.
 */
const SILENT_ATTEMPTS = 2;

export interface WaitForSshOptions {
  /** Overall deadline; default 180 s like the reference's 60 × 3 s. */
  timeoutMs?: number;
  /** Pause between attempts; short because a refused connection costs nothing. */
  intervalMs?: number;
  /** Longest single attempt (connection and handshake); default 15 s. */
  attemptTimeoutMs?: number;
  hostKey?: HostKeyCheck;
  signal?: AbortSignal;
}

export class SshWaitTimeoutError extends Error {
  constructor(target: SshTarget, seconds: number, lastError: string) {
    super(
      `SSH on ${target.user}@${target.host}:${target.port} did not answer within ${seconds} s. Last error: ${lastError}. ` +
        'Check that the host is running, that port ' + target.port + ' is reachable from here and that the key is authorised for ' + target.user + '.',
    );
    this.name = 'SshWaitTimeoutError';
  }
}

/** Something listens on the SSH port, but it does not speak SSH. */
export class SshNotSpokenError extends Error {
  constructor(target: SshTarget, attempts: number, timeoutMs: number) {
    super(
      `SSH on ${target.host}:${target.port}: the port accepts connections but no SSH server answered (${attempts} attempts of ${Math.round(timeoutMs / 1000)} s). ` +
        `Check that ${target.port} is the host's SSH port.`,
    );
    this.name = 'SshNotSpokenError';
  }
}

export async function waitForSsh(target: SshTarget, options: WaitForSshOptions = {}): Promise<SshConnection> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const intervalMs = options.intervalMs ?? 200;
  const attemptMs = options.attemptTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'none';
  let silent = 0;
  for (;;) {
    if (options.signal?.aborted) throw new Error('cancelled while waiting for SSH');
    const remaining = deadline - Date.now();
    try {
      return await SshConnection.connect(target, {
        hostKey: options.hostKey,
        signal: options.signal,
        readyTimeoutMs: Math.max(Math.min(1000, attemptMs), Math.min(attemptMs, remaining)),
      });
    } catch (err) {
      if (err instanceof HostKeyMismatchError || err instanceof SshKeyFileError) throw err;
      if (options.signal?.aborted) throw new Error('cancelled while waiting for SSH');
      lastError = (err as Error).message;
      silent = err instanceof SshNoHandshakeError ? silent + 1 : 0;
      if (silent >= SILENT_ATTEMPTS && err instanceof SshNoHandshakeError) throw new SshNotSpokenError(target, silent, err.timeoutMs);
    }
    if (Date.now() + intervalMs >= deadline) {
      throw new SshWaitTimeoutError(target, Math.round(timeoutMs / 1000), lastError);
    }
    // An abort ends the pause early; the loop's own check reports it.
    await sleep(intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
