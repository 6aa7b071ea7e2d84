// Certificates over time, through the real CLI: a store whose certificates
// were issued with chosen dates (one server certificate expires in 10 days)
// and `machine certs` reading their lifetimes. Time moves with the
// certificates' own dates, never with the system clock.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateCA, generateClientCert, generateServerCert, VALIDITY_DAYS } from '@machine/cli/lib/certs';
import { newHostConfig } from '@machine/cli/lib/store/host';
import { Store } from '@machine/cli/lib/store/store';
import { startHost, type TestHost } from '../hosts';
import { busyboxTarball, explain, genericFlags, LOCAL_IMAGE, Sandbox } from './generic-support';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The issue date that makes a certificate expire `days` from now. */
const issuedFor = (days: number): Date => new Date(Date.now() - (VALIDITY_DAYS - days) * DAY_MS);

interface CertRow {
  kind: string;
  machine: string;
  daysLeft: number | null;
  status: string;
}

/** Writes a store's CA and a client certificate it signed, as create's bootstrap would. */
async function storeCA(storeRoot: string, ca: { certPem: string; keyPem: string }): Promise<{ certPem: string; keyPem: string }> {
  const certs = path.join(storeRoot, 'certs');
  fs.mkdirSync(certs, { recursive: true });
  const client = await generateClientCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'test' });
  fs.writeFileSync(path.join(certs, 'ca.pem'), ca.certPem);
  fs.writeFileSync(path.join(certs, 'ca-key.pem'), ca.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(certs, 'cert.pem'), client.certPem);
  fs.writeFileSync(path.join(certs, 'key.pem'), client.keyPem, { mode: 0o600 });
  return ca;
}

describe('machine certs: certificate lifetimes', function () {
  this.timeout(120_000);
  const sb = new Sandbox();

  before(async () => {
    const store = new Store(sb.store);
    const ca = await storeCA(sb.store, await generateCA('test'));
    for (const [name, days] of [['soon', 10], ['fresh', 400], ['gone', -2]] as const) {
      const host = newHostConfig({ storeRoot: sb.store, name, driverName: 'none', driverState: { URL: 'tcp://127.0.0.1:1' } });
      store.save(host);
      const server = await generateServerCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: `test.${name}`, hosts: ['127.0.0.1'], now: issuedFor(days) });
      fs.writeFileSync(host.HostOptions.AuthOptions.ServerCertPath, server.certPem);
    }
  });

  after(() => sb.cleanup());

  it('shows the CA, the client certificate and each server certificate with the days left', async () => {
    const r = await sb.ok(['certs', '--json']);
    const rows = JSON.parse(r.stdout) as CertRow[];
    const by = (kind: string, machine = '') => rows.find((x) => x.kind === kind && x.machine === machine);
    assert.equal(by('ca')?.status, 'ok');
    assert.ok((by('ca')?.daysLeft ?? 0) > VALIDITY_DAYS - 2, explain(r));
    assert.equal(by('client')?.status, 'ok');
    const soon = by('server', 'soon');
    assert.ok(soon && soon.daysLeft !== null && soon.daysLeft >= 9 && soon.daysLeft <= 10, JSON.stringify(soon));
    assert.equal(soon?.status, 'expires soon');
    assert.equal(by('server', 'fresh')?.status, 'ok');
    assert.equal(by('server', 'gone')?.status, 'expired');
  });

  it('prints a table a person can read', async () => {
    const r = await sb.ok(['certs']);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^CERTIFICATE\s+MACHINE\s+EXPIRES\s+DAYS LEFT\s+STATUS$/);
    assert.ok(lines.some((l) => /^server\s+soon\s+\d{4}-\d{2}-\d{2}\s+(9|10)\s+expires soon$/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^server\s+gone\s+.*expired$/.test(l)), r.stdout);
  });

  it('ls warns in ERRORS 30 days ahead, and only then', async () => {
    const r = await sb.ok(['ls', '--format', '{{.Name}}|{{.Error}}']);
    const errors = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('|')));
    assert.match(errors.soon, /^server certificate expires in (9|10) days \(\d{4}-\d{2}-\d{2}\): run "machine regenerate-certs"$/, r.stdout);
    assert.match(errors.gone, /^server certificate expired on/, r.stdout);
    assert.doesNotMatch(errors.fresh, /certificate/, r.stdout);
  });
});

describe('a CA close to its expiry', function () {
  this.timeout(120_000);
  const sb = new Sandbox();

  before(async () => {
    const store = new Store(sb.store);
    // The CA was issued long ago and runs out in 10 days; the machine's own certificate is new.
    const ca = await storeCA(sb.store, await generateCA('test', issuedFor(10)));
    const host = newHostConfig({ storeRoot: sb.store, name: 'signed', driverName: 'none', driverState: { URL: 'tcp://127.0.0.1:1' } });
    store.save(host);
    const server = await generateServerCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'test.signed', hosts: ['127.0.0.1'] });
    fs.writeFileSync(host.HostOptions.AuthOptions.ServerCertPath, server.certPem);
  });

  after(() => sb.cleanup());

  it('ls names the CA and its fix on every machine it signed, and certs flags it', async () => {
    const r = await sb.ok(['ls', '--format', '{{.Name}}|{{.Error}}']);
    assert.match(r.stdout, /^signed\|the CA expires in (9|10) days \(\d{4}-\d{2}-\d{2}\): run "machine regenerate-certs --client-certs"$/m, r.stdout);
    const rows = JSON.parse((await sb.ok(['certs', '--json'])).stdout) as CertRow[];
    assert.equal(rows.find((x) => x.kind === 'ca')?.status, 'expires soon');
    assert.equal(rows.find((x) => x.kind === 'server')?.status, 'ok');
  });
});

describe('machine regenerate-certs --client-certs: a new CA, and every machine keeps working', function () {
  this.timeout(900_000);
  const sb = new Sandbox();
  const names = ['renew-a', 'renew-b'];
  const hosts: TestHost[] = [];
  let gone: TestHost | undefined;
  const certFile = (...parts: string[]) => path.join(sb.store, ...parts);
  const fingerprint = (file: string) => new crypto.X509Certificate(fs.readFileSync(file)).fingerprint256;

  before(async () => {
    for (const name of names) {
      const host = await startHost({ flavour: 'docker' });
      hosts.push(host);
      await sb.ok(['create', ...genericFlags(host), name]);
    }
  });

  after(async () => {
    for (const name of [...names, 'renew-gone']) await sb.cli(['rm', '-f', name]);
    for (const h of [...hosts, gone]) await h?.remove();
    sb.cleanup();
  });

  it('refuses, changing nothing, while a machine the CA signed is not running', async () => {
    gone = await startHost({ flavour: 'docker' });
    await sb.ok(['create', ...genericFlags(gone), 'renew-gone']);
    await gone.remove();
    const ca = fingerprint(certFile('certs', 'ca.pem'));
    const r = await sb.cli(['regenerate-certs', '-f', '--client-certs']);
    assert.equal(r.code, 1, explain(r));
    assert.match(r.stderr, /Not renewing the CA: .*"renew-gone" is Stopped.*nothing was changed/s);
    assert.equal(fingerprint(certFile('certs', 'ca.pem')), ca, 'the CA is the same');
    await sb.ok(['rm', '-f', 'renew-gone']);
  });

  it('renews the CA and the client certificate, then re-issues each machine with a progress line', async () => {
    const before = { ca: fingerprint(certFile('certs', 'ca.pem')), client: fingerprint(certFile('certs', 'cert.pem')) };
    // A container that must survive its engine's restart with the new certificates.
    const imported = await sb.docker(names[0], ['import', await busyboxTarball(sb.dir), LOCAL_IMAGE]);
    assert.equal(imported.code, 0, explain(imported));
    const started = await sb.docker(names[0], ['run', '-d', '--name', 'keeps-running', LOCAL_IMAGE, 'sleep', '600']);
    assert.equal(started.code, 0, explain(started));
    const r = await sb.cli(['regenerate-certs', '-f', '--client-certs']);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^Regenerating the CA and the client certificate$/m);
    assert.match(r.stdout, /^\(1\/2\) "renew-a": issuing a server certificate from the new CA\.\.\.$/m);
    assert.match(r.stdout, /^\(1\/2\) "renew-a": done$/m);
    assert.match(r.stdout, /^\(2\/2\) "renew-b": done$/m);
    assert.ok(r.stdout.indexOf('(1/2) "renew-a": done') < r.stdout.indexOf('(2/2) "renew-b": issuing'), 'machine by machine');

    const ca = new crypto.X509Certificate(fs.readFileSync(certFile('certs', 'ca.pem')));
    assert.notEqual(ca.fingerprint256, before.ca, 'a new CA');
    assert.notEqual(fingerprint(certFile('certs', 'cert.pem')), before.client, 'a new client certificate');
    assert.ok(new crypto.X509Certificate(fs.readFileSync(certFile('certs', 'cert.pem'))).verify(ca.publicKey), 'the client certificate comes from the new CA');
    for (const name of names) {
      const server = new crypto.X509Certificate(fs.readFileSync(certFile('machines', name, 'server.pem')));
      assert.ok(server.verify(ca.publicKey), `${name}: the server certificate comes from the new CA`);
      assert.equal(fingerprint(certFile('machines', name, 'ca.pem')), ca.fingerprint256, `${name}: DOCKER_CERT_PATH holds the new CA`);
      // The real docker client, through eval $(machine env), with the new client certificate.
      const v = await sb.docker(name, ['version', '--format', '{{.Server.Version}}']);
      assert.equal(v.code, 0, `${name}: ${explain(v)}`);
    }
    const ps = await sb.docker(names[0], ['ps', '--filter', 'name=keeps-running', '--format', '{{.Names}}']);
    assert.equal(ps.stdout.trim(), 'keeps-running', explain(ps));
    const ls = await sb.ok(['ls', '--format', '{{.Name}}|{{.State}}|{{.Error}}']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), names.map((n) => `${n}|Running|`));
    const rows = JSON.parse((await sb.ok(['certs', '--json'])).stdout) as CertRow[];
    for (const row of rows) assert.equal(row.status, 'ok', JSON.stringify(row));
  });
});
