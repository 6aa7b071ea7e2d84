// Waiting for a Docker daemon to answer over TLS with the machine's client certificate.
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonRequest, type TLSFiles } from '../certs/tls-check';

/**
 * Polls GET /version over TLS with the client certificate until it answers.
 * A refused connection is the normal state while the engine restarts, so
 * attempts are frequent and cheap.
 */
export async function waitForDaemon(
  target: { url: string } & TLSFiles,
  timeoutMs: number,
  signal?: AbortSignal,
  init: 'systemd' | 'sysvinit' = 'systemd',
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  // A certificate rejection is not the engine still starting: give it a few
  // seconds (an old daemon may be on its way out), then report it.
  let certErrorSince = 0;
  for (;;) {
    if (signal?.aborted) throw new Error('cancelled while waiting for the Docker daemon');
    try {
      const r = await daemonRequest({ ...target, timeoutMs: Math.min(10_000, Math.max(1000, deadline - Date.now())) }, 'GET', '/version');
      if (r.status === 200) {
        const v = (JSON.parse(r.body) as { Version?: string }).Version;
        return v ?? 'unknown';
      }
      last = `GET /version answered ${r.status}`;
      certErrorSince = 0;
    } catch (err) {
      last = (err as Error).message;
      if ((err as { kind?: string }).kind === 'certificate' || /certificate|SSL alert/i.test(last)) {
        certErrorSince ||= Date.now();
        if (Date.now() - certErrorSince > 5000) {
          throw new Error(`the engine at ${target.url} rejects the TLS connection: ${last.trim()}. Regenerate the certificates with "machine regenerate-certs NAME".`);
        }
      } else {
        certErrorSince = 0;
      }
    }
    if (Date.now() >= deadline) {
      const logs = init === 'systemd' ? 'journalctl -u docker' : 'tail /var/log/docker.log';
      throw new Error(
        `no answer from ${target.url} over TLS within ${Math.round(timeoutMs / 1000)} s (last error: ${last}). ` +
          `See the engine's log with "machine ssh NAME sudo ${logs}", and check that port ${target.url.split(':').pop()} is reachable from here.`,
      );
    }
    await sleep(100);
  }
}
