import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { AbortedError, probeSSH, sleep, waitForSSH } from './wait';

function serve(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    onConnection(s);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

describe('SSH readiness', () => {
  it('needs the SSH banner, not just an open port', async () => {
    const sshd = await serve((s) => s.write('SSH-2.0-OpenSSH_9.2\r\n'));
    const proxy = await serve(() => undefined);
    try {
      assert.equal(await probeSSH('127.0.0.1', sshd.port), true);
      assert.equal(await probeSSH('127.0.0.1', proxy.port, 300), false);
    } finally {
      await sshd.close();
      await proxy.close();
    }
  });

  it('gives up at the deadline and stops on abort', async () => {
    const closed = await serve((s) => s.destroy());
    try {
      assert.equal(await waitForSSH('127.0.0.1', closed.port, 300), false);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(waitForSSH('127.0.0.1', closed.port, 10_000, ac.signal), AbortedError);
      await assert.rejects(sleep(10_000, AbortSignal.abort()), AbortedError);
    } finally {
      await closed.close();
    }
  });
});
