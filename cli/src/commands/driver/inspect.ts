import { describeDriver } from '../../discovery/describe-cache';
import { findDriver } from '../../discovery/discover';
import { tabwrite } from '../../format/tabwriter';
import { jsonDocument } from '../../format/json';
import type { CommandSpec } from '../../command/spec';

export const spec: CommandSpec = {
  id: 'driver inspect',
  summary: 'Show a driver\'s metadata and create flags',
  args: [{ name: 'name', description: 'driver name', required: true }],
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print metadata and flag schema as JSON' },
  },
  async run(ctx, { flags, args }) {
    const loc = findDriver(args[0], { env: ctx.env });
    const desc = await describeDriver(ctx.registry, loc, ctx.store.root);
    if (flags.json === true) {
      ctx.out(jsonDocument({ path: loc.path, source: loc.source, ...desc }));
      return;
    }
    const m = desc.metadata;
    const lines = [
      `Name:         ${m.name}`,
      `Version:      ${m.version}`,
      `Description:  ${m.description}`,
      `Protocols:    ${m.protocolVersions.join(', ')}`,
      `Capabilities: ${m.capabilities.join(', ') || '-'}`,
      `SDK:          ${m.sdk}`,
      `Path:         ${loc.path} (${loc.source})`,
      '',
      'Create flags:',
    ];
    let t = 'FLAG\tTYPE\tDEFAULT\tENV\tDESCRIPTION\n';
    for (const f of desc.schema) {
      const def = f.default === undefined ? '' : Array.isArray(f.default) ? f.default.join(',') : String(f.default);
      const notes = [f.required ? 'required' : '', f.sensitive ? 'sensitive' : ''].filter(Boolean).join(', ');
      t += `--${f.name}\t${f.type}\t${f.sensitive ? '' : def}\t${f.envVar ?? ''}\t${f.description}${notes ? ` (${notes})` : ''}\n`;
    }
    ctx.out(lines.join('\n') + '\n' + tabwrite(t, { minWidth: 5, padding: 3 }).replace(/\n$/, ''));
  },
};
