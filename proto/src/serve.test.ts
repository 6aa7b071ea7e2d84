import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from './constants';
import { parseHandshake } from './handshake';
import { derToPem, generateEphemeralCert } from './mtls';
import type { HealthClient } from './gen/grpc/health/v1/Health';
import { loadWire } from './wire';

const MINI = path.join(__dirname, 'testing', 'mini-driver.js');

describe('serveDriver and go-plugin hosts', function () {
  this.timeout(30_000);

  it('uses AutoMTLS on the unix socket too when the host sends PLUGIN_CLIENT_CERT', async () => {
    const host = generateEphemeralCert();
    const child = spawn(process.execPath, [MINI], {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '1', PLUGIN_CLIENT_CERT: host.certPem, PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
        });
        child.on('exit', (code) => reject(new Error(`driver exited with ${code}`)));
      });
      const hs = parseHandshake(line, [1]);
      assert.equal(hs.network, 'unix');
      assert.ok(hs.certDer, 'the sixth field must carry the driver certificate');
      const { grpc, protos } = loadWire();
      const dial = (key: string, cert: string) =>
        new protos.grpc.health.v1.Health(
          `unix:${hs.address}`,
          grpc.credentials.createSsl(Buffer.from(derToPem(hs.certDer as Buffer)), Buffer.from(key), Buffer.from(cert), { checkServerIdentity: () => undefined }),
          { 'grpc.ssl_target_name_override': 'localhost' },
        ) as HealthClient;
      const check = (client: HealthClient) =>
        new Promise<string>((resolve, reject) =>
          client.Check({ service: 'plugin' }, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(String(res?.status)))),
        );
      assert.equal(await check(dial(host.keyPem, host.certPem)), 'SERVING');
      // Any other client certificate is refused.
      const stranger = generateEphemeralCert();
      await assert.rejects(check(dial(stranger.keyPem, stranger.certPem)));
    } finally {
      // A go-plugin host stops its driver with SIGTERM (no lifeline): the
      // driver removes its socket directory on the way out. SIGKILL only if it hangs.
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
});
