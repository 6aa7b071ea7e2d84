import { effectiveDockerHost } from '../contexts/docker-context';
import { MachineError } from '../errors';
import { naturalCompare } from '../format/natural-sort';
import { gather } from '../query/list';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'active',
  summary: 'Print which machine is active',
  description: 'The active machine is the running one whose URL equals $DOCKER_HOST, or, with DOCKER_HOST unset, the endpoint of the current docker context (machine use).',
  args: [],
  // Any word is refused below with the reference's text.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    timeout: { type: 'integer', char: 't', default: 10, min: 1, description: 'Timeout in seconds, default to 10s', helpValue: '<seconds>' },
    json: { type: 'boolean', description: 'Print Name and URL of the active machine as one JSON document' },
  },
  async run(ctx, { flags, args }) {
    if (args.length > 0) throw new MachineError('usage', 'Error: Too many arguments given');
    const dockerHost = effectiveDockerHost(ctx.env);
    // Without DOCKER_HOST or a machine's docker context nothing can be active: no need to ask any driver.
    if (dockerHost === '') throw new MachineError('not-found', 'No active host found');
    const entries = ctx.store.list().filter((e) => e.host);
    const items = await gather(ctx, entries, { timeoutMs: (flags.timeout as number) * 1000, dockerVersion: false });
    items.sort((a, b) => naturalCompare(a.Name, b.Name));
    const active = items.find((i) => i.ActiveHost || i.ActiveSwarm);
    if (active) {
      ctx.out(flags.json === true ? jsonDocument({ Name: active.Name, URL: active.URL }) : active.Name);
      return;
    }
    if (items.some((i) => i.State === 'Timeout')) throw new MachineError('timeout', 'Error getting active host: timeout');
    throw new MachineError('not-found', 'No active host found');
  },
};
