import * as path from 'node:path';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

interface CertRow {
  kind: 'ca' | 'client' | 'server';
  machine: string;
  path: string;
  notAfter: string;
  daysLeft: number | null;
  status: string;
}

export const spec: CommandSpec = {
  id: 'certs',
  summary: 'Show when the certificates expire',
  description:
    'Lists the expiry of the CA, the client certificate and each machine\'s server certificate, with the days left. ' +
    'Server certificates within 30 days of expiry are flagged, as ls flags them.',
  args: [],
  readOnly: true,
  flags: {
    json: { type: 'boolean', description: 'Print one JSON array' },
  },
  async run(ctx, { flags }) {
    const { certExpiry, expiryWarning, EXPIRY_WARNING_DAYS } = await import('../certs/expiry');
    const now = new Date();
    const rows: CertRow[] = [];
    const row = (kind: CertRow['kind'], machine: string, file: string): void => {
      const e = certExpiry(file, now);
      let status = e.error ?? 'ok';
      if (!e.error && e.daysLeft !== undefined) {
        if (e.daysLeft < 0) status = 'expired';
        else if (kind === 'server' ? expiryWarning(e) !== undefined : e.daysLeft <= EXPIRY_WARNING_DAYS) status = 'expires soon';
      }
      rows.push({ kind, machine, path: file, notAfter: e.notAfter?.toISOString() ?? '', daysLeft: e.daysLeft ?? null, status });
    };
    const certs = path.join(ctx.store.root, 'certs');
    row('ca', '', path.join(certs, 'ca.pem'));
    row('client', '', path.join(certs, 'cert.pem'));
    for (const entry of ctx.store.list()) {
      if (entry.error) {
        rows.push({ kind: 'server', machine: entry.name, path: '', notAfter: '', daysLeft: null, status: `unreadable machine: ${entry.error.message}` });
        continue;
      }
      row('server', entry.name, entry.host.HostOptions.AuthOptions.ServerCertPath);
    }
    if (flags.json === true) {
      ctx.out(jsonDocument(rows));
      return;
    }
    const table = [['CERTIFICATE', 'MACHINE', 'EXPIRES', 'DAYS LEFT', 'STATUS'], ...rows.map((r) => [r.kind, r.machine || '-', r.notAfter.slice(0, 10) || '-', r.daysLeft === null ? '-' : String(r.daysLeft), r.status])];
    const widths = table[0].map((_, i) => Math.max(...table.map((t) => t[i].length)));
    ctx.out(table.map((t) => t.map((c, i) => (i === t.length - 1 ? c : c.padEnd(widths[i]))).join('   ')).join('\n'));
  },
};
