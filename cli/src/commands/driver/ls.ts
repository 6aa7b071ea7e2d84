import { discoverDrivers, type DriverLocation } from '../../discovery/discover';
import { describeDriver } from '../../discovery/describe-cache';
import { errorMessage } from '../../errors';
import { LS_TABWRITER, tabwrite } from '../../format/tabwriter';
import { jsonDocument } from '../../format/json';
import type { CommandSpec } from '../../command/spec';

interface Row {
  name: string;
  version: string;
  protocol: string;
  source: string;
  path: string;
  shadowedBy?: string;
  error?: string;
}

function sourceLabel(d: DriverLocation): string {
  return d.packageName && d.source !== 'MACHINE_DRIVER_PATH' && d.source !== 'PATH' ? `${d.source} (${d.packageName})` : d.source;
}

export const spec: CommandSpec = {
  id: 'driver ls',
  summary: 'List the drivers that can be used',
  description: 'Lists every driver found, in search order (MACHINE_DRIVER_PATH, oclif plugins, bundled, PATH). A driver hidden by an earlier one with the same name is marked shadowed.',
  args: [],
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print the drivers as a JSON array' },
  },
  async run(ctx, { flags }) {
    const { drivers } = discoverDrivers({ env: ctx.env });
    const rows: Row[] = await Promise.all(
      drivers.map(async (d): Promise<Row> => {
        const row: Row = { name: d.name, version: '', protocol: '', source: sourceLabel(d), path: d.path, shadowedBy: d.shadowedBy };
        if (d.shadowedBy) return row;
        try {
          const desc = await describeDriver(ctx.registry, d, ctx.store.root);
          row.version = desc.metadata.version;
          row.protocol = desc.metadata.protocolVersions.join(',');
        } catch (e) {
          row.error = errorMessage(e).split('\n')[0];
        }
        return row;
      }),
    );
    if (flags.json === true) {
      ctx.out(jsonDocument(rows));
      return;
    }
    let text = 'NAME\tVERSION\tPROTOCOL\tSOURCE\tPATH\tNOTE\n';
    for (const r of rows) {
      const note = r.shadowedBy ? `shadowed by ${r.shadowedBy}` : r.error ? `error: ${r.error}` : '';
      text += `${r.name}\t${r.version || '-'}\t${r.protocol || '-'}\t${r.source}\t${r.path}\t${note}\n`;
    }
    ctx.out(tabwrite(text, LS_TABWRITER).replace(/\n$/, ''));
  },
};
