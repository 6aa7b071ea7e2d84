// Polling helpers that honour the caller's abort signal.
import { setTimeout as delay } from 'node:timers/promises';
import * as net from 'node:net';

export class AbortedError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortedError';
  }
}

/** node:timers/promises' pause, failing with AbortedError (the driver's own) on abort. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    throw new AbortedError();
  }
}

/**
 * Resolves when an SSH server answers with its banner. A bare TCP connect is
 * not enough: a published port accepts connections (the engine's proxy)
 * before sshd inside the container listens.
 */
export function probeSSH(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    let received = '';
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.length >= 4) finish(received.startsWith('SSH-'));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

export async function waitForSSH(host: string, port: number, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (signal?.aborted) throw new AbortedError();
    if (await probeSSH(host, port)) return true;
    await sleep(250, signal);
  }
  return false;
}
