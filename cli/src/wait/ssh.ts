// Waiting for a host's SSH server. Freshly made hosts refuse connections for
// a while, then accept TCP before sshd is ready, then may reject the key until
// cloud-init installs it: every one of those is retried, quickly, until the
// deadline, and the last error is what the user sees.
import { setTimeout as sleep } from 'node:timers/promises';
import { SshConnection, type HostKeyCheck, type SshTarget } from '../ssh/client';

export interface WaitForSshOptions {
  /** Overall deadline; default 180 s like the reference's 60 × 3 s. */
  timeoutMs?: number;
  /** Pause between attempts; short because a refused connection costs nothing. */
  intervalMs?: number;
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

export async function waitForSsh(target: SshTarget, options: WaitForSshOptions = {}): Promise<SshConnection> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'none';
  for (;;) {
    if (options.signal?.aborted) throw new Error('cancelled while waiting for SSH');
    const remaining = deadline - Date.now();
    try {
      return await SshConnection.connect(target, {
        hostKey: options.hostKey,
        signal: options.signal,
        readyTimeoutMs: Math.max(1000, Math.min(15_000, remaining)),
      });
    } catch (err) {
      if ((err as Error).name === 'HostKeyMismatchError') throw err;
      if (options.signal?.aborted) throw new Error('cancelled while waiting for SSH');
      lastError = (err as Error).message;
    }
    if (Date.now() + intervalMs >= deadline) {
      throw new SshWaitTimeoutError(target, Math.round(timeoutMs / 1000), lastError);
    }
    // An abort ends the pause early; the loop's own check reports it.
    await sleep(intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
