// The native client against loopback listeners that are not SSH servers:
// one that accepts and stays silent, one that sends garbage, one that
// refuses. None may crash the process with an unhandled 'error' event.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshConnection, SshKeyFileError, SshNoHandshakeError } from './client';
import { SshNotSpokenError, SshWaitTimeoutError, waitForSsh } from '../wait/ssh';

interface Listener {
  port: number;
  close(): Promise<void>;
}

function listen(onSocket: (sock: net.Socket) => void): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
    onSocket(sock);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const l = await listen(() => undefined);
  await l.close();
  return l.port;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('native SSH client against a port that does not speak SSH', () => {
  let dir: string;
  let keyPath: string;
  const listeners: Listener[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-connect-test-'));
    keyPath = path.join(dir, 'id_rsa');
    // Never offered: no listener here gets as far as authentication.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    fs.writeFileSync(keyPath, privateKey, { mode: 0o600 });
  });
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function server(onSocket: (sock: net.Socket) => void): Promise<number> {
    const l = await listen(onSocket);
    listeners.push(l);
    return l.port;
  }

  it('rejects once, without an unhandled error, when the port accepts and stays silent', async () => {
    const port = await server(() => undefined);
    await assert.rejects(SshConnection.connect({ host: '127.0.0.1', port, user: 'root', keyPath }, { readyTimeoutMs: 300 }), (err: Error) => {
      assert.ok(err instanceof SshNoHandshakeError, String(err));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} accepted the connection but did not complete an SSH handshake`));
      return true;
    });
    // ssh2 emits its second error when the socket goes; give it the time to.
    await pause(300);
  });

  it('rejects without an unhandled error when the port sends garbage and hangs up', async () => {
    const port = await server((sock) => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await assert.rejects(SshConnection.connect({ host: '127.0.0.1', port, user: 'root', keyPath }, { readyTimeoutMs: 2000 }), /Connection lost before handshake/);
    await pause(300);
  });

  it('reports a port that sends garbage and keeps the connection open as no handshake', async () => {
    const port = await server((sock) => sock.write('220 smtp.example ESMTP\r\n'));
    await assert.rejects(SshConnection.connect({ host: '127.0.0.1', port, user: 'root', keyPath }, { readyTimeoutMs: 300 }), SshNoHandshakeError);
    await pause(300);
  });

  it('waitForSsh gives up on a silent port after two handshake time-outs, naming SSH and the address', async () => {
    const port = await server(() => undefined);
    const started = Date.now();
    await assert.rejects(waitForSsh({ host: '127.0.0.1', port, user: 'root', keyPath }, { timeoutMs: 60_000, intervalMs: 50, attemptTimeoutMs: 400 }), (err: Error) => {
      assert.ok(err instanceof SshNotSpokenError, String(err));
      assert.match(err.message, new RegExp(`^SSH on 127\\.0\\.0\\.1:${port}: the port accepts connections but no SSH server answered`));
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'gave up long before the overall deadline');
  });

  it('waitForSsh fails at once, naming the file, when the private key is missing', async () => {
    const port = await server(() => undefined);
    const missing = path.join(dir, 'no-such-key');
    const started = Date.now();
    await assert.rejects(waitForSsh({ host: '127.0.0.1', port, user: 'root', keyPath: missing }, { timeoutMs: 60_000 }), (err: Error) => {
      assert.ok(err instanceof SshKeyFileError, String(err));
      assert.ok(err.message.includes(missing), err.message);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  it('waitForSsh fails at once when the key file is not a private key', async () => {
    const port = await server(() => undefined);
    const notAKey = path.join(dir, 'not-a-key');
    fs.writeFileSync(notAKey, 'not a key', { mode: 0o600 });
    await assert.rejects(waitForSsh({ host: '127.0.0.1', port, user: 'root', keyPath: notAKey }, { timeoutMs: 60_000 }), (err: Error) => {
      assert.ok(err instanceof SshKeyFileError, String(err));
      assert.match(err.message, new RegExp(`^cannot use the SSH key ${notAKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      return true;
    });
  });

  it('waitForSsh keeps retrying a refused port (a booting host) until its deadline', async () => {
    const port = await closedPort();
    await assert.rejects(
      waitForSsh({ host: '127.0.0.1', port, user: 'root', keyPath }, { timeoutMs: 1500, intervalMs: 50 }),
      (err: Error) => err instanceof SshWaitTimeoutError && /ECONNREFUSED/.test(err.message),
    );
  });
});
