// SSH going wrong, end to end with the real CLI: a port that accepts TCP but
// never speaks SSH, one that sends garbage, one that refuses, a machine key
// that has gone, and a provision that fails after new certificates were
// issued. Each must end in one clear message and leave a working machine
// working.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, Sandbox, type Result } from './generic-support';

interface Listener {
  port: number;
  close(): Promise<void>;
}

/** A loopback TCP listener that hands every connection to `onSocket`. */
function listen(onSocket: (sock: net.Socket) => void): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
    onSocket(sock);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

/** No stack trace, no unhandled event: the CLI reported the failure itself. */
function assertNoCrash(r: Result): void {
  assert.doesNotMatch(r.stderr, /Unhandled 'error' event|ERR_UNHANDLED_ERROR|^\s+at .+:\d+:\d+\)?$/m, explain(r));
}

describe('SSH faults, end to end', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  let keyPath: string;
  const listeners: Listener[] = [];

  before(() => {
    keyPath = path.join(sb.dir, 'id_rsa');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    fs.writeFileSync(keyPath, privateKey, { mode: 0o600 });
  });
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });
  after(() => sb.cleanup());

  async function server(onSocket: (sock: net.Socket) => void): Promise<number> {
    const l = await listen(onSocket);
    listeners.push(l);
    return l.port;
  }

  const loopbackFlags = (port: number) => ['-d', 'generic', '--generic-ip-address', '127.0.0.1', '--generic-ssh-port', String(port), '--generic-ssh-key', keyPath];

  it('rolls back a create against a port that accepts TCP but never speaks SSH, with one clear line', async () => {
    const port = await server(() => undefined);
    const r = await sb.cli(['create', ...loopbackFlags(port), 'silent']);
    assert.equal(r.code, 1, explain(r));
    assertNoCrash(r);
    const reason = `SSH on 127.0.0.1:${port}: the port accepts connections but no SSH server answered`;
    assert.equal(r.stderr.split(reason).length - 1, 1, `the reason is given once: ${explain(r)}`);
    assert.match(r.stdout + r.stderr, /Rolled back: "silent" was removed/);
    assert.deepEqual(sb.machines(), []);
    assert.deepEqual(sb.storeProblems(), []);
    assert.deepEqual(await sb.leftoverProcesses(), []);
  });

  it('fails ssh to a machine whose port sends garbage with a clear error, not a crash', async () => {
    const port = await server((sock) => sock.write('220 mail.example ESMTP ready\r\n'));
    const created = await sb.cli(['create', ...loopbackFlags(port), '--keep-on-failure', 'garbage']);
    assert.equal(created.code, 1, explain(created));
    assertNoCrash(created);
    assert.match(created.stderr, new RegExp(`SSH on 127\\.0\\.0\\.1:${port}: the port accepts connections but no SSH server answered`));
    assert.deepEqual(sb.machines(), ['garbage'], 'kept for debugging');

    const ssh = await sb.cli(['ssh', 'garbage', 'true']);
    assert.equal(ssh.code, 1, explain(ssh));
    assertNoCrash(ssh);
    assert.match(ssh.stderr, new RegExp(`127\\.0\\.0\\.1:${port} accepted the connection but did not complete an SSH handshake`));

    await sb.ok(['rm', '-f', '-y', 'garbage']);
    assert.deepEqual(await sb.leftoverProcesses(), []);
  });

  it('fails a create against a refused SSH port at the pre-create check, naming SSH and the address', async () => {
    const probe = await listen(() => undefined);
    await probe.close();
    const r = await sb.cli(['create', ...loopbackFlags(probe.port), 'refused']);
    assert.equal(r.code, 3, explain(r));
    assertNoCrash(r);
    assert.match(r.stderr, new RegExp(`cannot reach SSH on 127\\.0\\.0\\.1:${probe.port}: connection refused`));
    assert.doesNotMatch(r.stderr, /did not reach state Running/);
    assert.deepEqual(sb.machines(), []);
  });

  describe('on a real host', () => {
    let host: TestHost;
    const name = 'ssh-faults';
    const machineDir = () => path.join(sb.store, 'machines', name);
    const serverCert = () => fs.readFileSync(path.join(machineDir(), 'server.pem'), 'utf8');

    before(async () => {
      host = await startHost({ flavour: 'docker' });
      await sb.ok(['create', ...genericFlags(host), name]);
    });
    after(async () => {
      await sb.cli(['rm', '-f', '-y', name]);
      await host?.remove();
    });

    async function assertEngineWorks(): Promise<void> {
      const env = await sb.cli(['env', name]);
      assert.equal(env.code, 0, explain(env));
      const ps = await sb.docker(name, ['ps', '-q']);
      assert.equal(ps.code, 0, explain(ps));
    }

    it('provision fails at once, naming the file, when the machine key is missing', async () => {
      const key = path.join(machineDir(), 'id_rsa');
      fs.renameSync(key, `${key}.away`);
      try {
        const r = await sb.cli(['provision', name]);
        assert.equal(r.code, 1, explain(r));
        assertNoCrash(r);
        assert.ok(r.stderr.includes(key), `names ${key}: ${explain(r)}`);
        assert.doesNotMatch(r.stderr, /did not answer within/, 'no wait for SSH');
      } finally {
        fs.renameSync(`${key}.away`, key);
      }
    });

    for (const command of [['provision', name], ['regenerate-certs', '-f', name]]) {
      it(`a failed ${command[0]} after new certificates were issued keeps the old ones: env and docker still work`, async () => {
        const before = serverCert();
        // The engine refuses to restart, so the host never takes the new certificate into use.
        const shim = '/usr/local/sbin/systemctl';
        const installed = await host.exec(`printf '#!/bin/sh\\n[ "$1" = restart ] && { echo "restart refused by the test" >&2; exit 1; }\\nexec /usr/bin/systemctl "$@"\\n' > ${shim} && chmod 755 ${shim}`);
        assert.equal(installed.code, 0, installed.stderr);
        try {
          const r = await sb.cli(command);
          assert.notEqual(r.code, 0, explain(r));
          assertNoCrash(r);
          assert.match(r.stderr, /Configuring the Docker daemon failed/);
        } finally {
          await host.exec(`rm -f ${shim}`);
        }
        assert.equal(serverCert(), before, 'the local server certificate is the one the engine still uses');
        assert.deepEqual(fs.readdirSync(machineDir()).filter((f) => f.endsWith('.new')), [], 'nothing staged is left');
        await assertEngineWorks();
      });
    }

    /** PATH with an `ssh` that records its arguments, one per line, and runs the real one. */
    function recordingSsh(): { env: NodeJS.ProcessEnv; calls(): string[][] } {
      const bin = fs.mkdtempSync(path.join(sb.dir, 'bin-'));
      const log = path.join(bin, 'calls');
      fs.writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" '@@end' >> '${log}'\nexec /usr/bin/ssh "$@"\n`, { mode: 0o755 });
      return {
        env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
        calls: () =>
          fs.existsSync(log)
            ? fs.readFileSync(log, 'utf8').split('@@end\n').filter(Boolean).map((c) => c.split('\n').filter(Boolean))
            : [],
      };
    }

    it('machine ssh --native-ssh=false NAME (the flag after the command) uses the system ssh', async () => {
      const rec = recordingSsh();
      const r = await sb.cli(['ssh', '--native-ssh=false', name, 'echo', 'from-system-ssh'], { env: rec.env });
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.stdout.trim(), 'from-system-ssh');
      assert.equal(rec.calls().length, 1, 'the system ssh ran');
      const native = await sb.cli(['ssh', name, 'echo', 'from-native'], { env: rec.env });
      assert.equal(native.stdout.trim(), 'from-native', explain(native));
      assert.equal(rec.calls().length, 1, 'the native client ran without the system ssh');
    });

    for (const client of [[], ['--native-ssh=false']]) {
      it(`ssh options after the machine name go to ssh, the rest is the remote command${client.length ? ' (system client)' : ''}`, async () => {
        const rec = recordingSsh();
        const r = await sb.cli(['ssh', ...client, name, '-C', '-o', 'ServerAliveInterval=7', 'echo', 'foo', '-C'], { env: rec.env });
        assert.equal(r.code, 0, explain(r));
        assert.equal(r.stdout.trim(), 'foo -C');
        const [args] = rec.calls();
        assert.ok(args, 'the system ssh received the options');
        const dashes = args.indexOf('--');
        assert.deepEqual(args.slice(dashes + 1), ['echo', 'foo', '-C']);
        const options = args.slice(0, dashes);
        assert.ok(options.includes('-C'), options.join(' '));
        assert.ok(options.includes('ServerAliveInterval=7'), options.join(' '));
        assert.ok(options.includes('StrictHostKeyChecking=yes'), 'the recorded host key is still checked');
      });
    }

    it('refuses an unknown ssh option with the fix', async () => {
      const r = await sb.cli(['ssh', name, '-Z', 'true']);
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stderr, /Unknown ssh option "-Z"/);
    });

    /** Forgets the machine's recorded host key, as for a machine imported from a Docker Machine store. */
    function forgetHostKey(): string {
      const file = path.join(machineDir(), 'config.json');
      const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { Machine: { SSHHostKey?: string } };
      const key = config.Machine.SSHHostKey;
      assert.ok(key, 'create recorded a host key');
      delete config.Machine.SSHHostKey;
      fs.writeFileSync(file, JSON.stringify(config, null, 2));
      fs.rmSync(path.join(machineDir(), 'known_hosts'), { force: true });
      return key;
    }
    const recordedHostKey = () => (JSON.parse(fs.readFileSync(path.join(machineDir(), 'config.json'), 'utf8')) as { Machine: { SSHHostKey?: string } }).Machine.SSHHostKey;
    const recordedNotice = new RegExp(`Recorded the SSH host key of "${name}" \\(SHA256:[A-Za-z0-9+/]+\\) on first use`, 'g');

    it('the native client records the host key of a machine with none on first use, and says so once', async () => {
      const key = forgetHostKey();
      const first = await sb.cli(['ssh', name, 'true']);
      assert.equal(first.code, 0, explain(first));
      assert.equal(first.stderr.match(recordedNotice)?.length, 1, explain(first));
      assert.equal(recordedHostKey(), key);
      const again = await sb.cli(['ssh', name, 'true']);
      assert.equal(again.code, 0, explain(again));
      assert.doesNotMatch(again.stderr, recordedNotice);
    });

    it('scp records a missing host key on first use and keeps strict checking for the machine end', async () => {
      const key = forgetHostKey();
      const bin = fs.mkdtempSync(path.join(sb.dir, 'scp-bin-'));
      const log = path.join(bin, 'calls');
      fs.writeFileSync(path.join(bin, 'scp'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\nexec /usr/bin/scp "$@"\n`, { mode: 0o755 });
      const local = path.join(sb.dir, 'scp-source.txt');
      fs.writeFileSync(local, 'copied over a checked connection\n');
      const r = await sb.cli(['scp', local, `${name}:/tmp/scp-target.txt`], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.stderr.match(recordedNotice)?.length, 1, explain(r));
      assert.equal(recordedHostKey(), key);
      const args = fs.readFileSync(log, 'utf8').split('\n');
      assert.ok(args.includes('StrictHostKeyChecking=yes'), args.join(' '));
      assert.ok(!args.includes('StrictHostKeyChecking=no'), args.join(' '));
      const copied = await host.exec('cat /tmp/scp-target.txt');
      assert.equal(copied.stdout, 'copied over a checked connection\n');
    });

    it('a provision that succeeds replaces the certificate, and the engine uses the new one', async () => {
      const before = serverCert();
      await sb.ok(['provision', name]);
      assert.notEqual(serverCert(), before);
      await assertEngineWorks();
    });
  });
});
