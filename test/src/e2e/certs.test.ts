// Certificates over time, through the real CLI: a store whose certificates
// were issued with chosen dates (one server certificate expires in 10 days)
// and `machine certs` reading their lifetimes. Time moves with the
// certificates' own dates, never with the system clock.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateCA, generateClientCert, generateServerCert, VALIDITY_DAYS } from '@machine/cli/lib/certs';
import { newHostConfig } from '@machine/cli/lib/store/host';
import { Store } from '@machine/cli/lib/store/store';
import { explain, Sandbox } from './generic-support';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The issue date that makes a certificate expire `days` from now. */
const issuedFor = (days: number): Date => new Date(Date.now() - (VALIDITY_DAYS - days) * DAY_MS);

interface CertRow {
  kind: string;
  machine: string;
  daysLeft: number | null;
  status: string;
}

describe('machine certs: certificate lifetimes', function () {
  this.timeout(120_000);
  const sb = new Sandbox();

  before(async () => {
    const store = new Store(sb.store);
    const certs = path.join(sb.store, 'certs');
    fs.mkdirSync(certs, { recursive: true });
    const ca = await generateCA('test');
    const client = await generateClientCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'test' });
    fs.writeFileSync(path.join(certs, 'ca.pem'), ca.certPem);
    fs.writeFileSync(path.join(certs, 'ca-key.pem'), ca.keyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(certs, 'cert.pem'), client.certPem);
    fs.writeFileSync(path.join(certs, 'key.pem'), client.keyPem, { mode: 0o600 });
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
