import { MachineError, PartialOutputError } from '../errors';
import { naturalCompare } from '../format/natural-sort';
import { LS_TABWRITER, tabwrite } from '../format/tabwriter';
import { Template, TemplateError, unescapeFormat } from '../format/template';
import { HOST_LIST_ITEM, hostListItem } from '../format/reference-types';
import type { HostConfig, HostEntry } from '../store/types';
import { swarmRecord } from '../swarm/record';
import { gather, type ListItem } from '../query/list';
import { urlToProve } from '../query/self-proof';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';
import type { CommandContext } from '../command/context';

export const DEFAULT_LS_FORMAT = 'table {{ .Name }}\t{{ .Active }}\t{{ .DriverName}}\t{{ .State }}\t{{ .URL }}\t{{ .Swarm }}\t{{ .DockerVersion }}\t{{ .Error}}';

const HEADERS: Record<string, string> = {
  Name: 'NAME',
  Active: 'ACTIVE',
  ActiveHost: 'ACTIVE_HOST',
  ActiveSwarm: 'ACTIVE_SWARM',
  DriverName: 'DRIVER',
  State: 'STATE',
  URL: 'URL',
  SwarmOptions: 'SWARM_OPTIONS',
  Swarm: 'SWARM',
  EngineOptions: 'ENGINE_OPTIONS',
  Error: 'ERRORS',
  DockerVersion: 'DOCKER',
  ResponseTime: 'RESPONSE',
};

export interface Filters {
  driver: string[];
  state: string[];
  name: RegExp[];
  label: string[];
  swarm: string[];
}

export function parseFilters(raw: string[]): Filters {
  const f: Filters = { driver: [], state: [], name: [], label: [], swarm: [] };
  for (const r of raw) {
    const i = r.indexOf('=');
    // The reference's texts: "=x" names the empty key.
    if (i < 0) throw new MachineError('usage', 'Unsupported filter syntax');
    const key = r.slice(0, i).toLowerCase();
    const value = r.slice(i + 1);
    if (key === 'name') f.name.push(nameFilter(value));
    else if (key === 'driver' || key === 'state' || key === 'label' || key === 'swarm') f[key].push(value);
    else throw new MachineError('usage', `Unsupported filter key '${key}'`);
  }
  return f;
}

/**
 * A name filter is a Go regular expression: its leading flag group
 * ("(?i)" and the like) becomes the JavaScript flags it stands for.
 */
function nameFilter(value: string): RegExp {
  const flags = /^\(\?([ims]+)\)/.exec(value);
  try {
    return flags ? new RegExp(value.slice(flags[0].length), [...new Set(flags[1])].join('')) : new RegExp(value);
  } catch (e) {
    throw new MachineError('usage', `Invalid name filter "${value}": ${(e as Error).message}`);
  }
}

/** label=KEY=VALUE: the key as given, the value in any case (the reference's EqualFold); label=KEY: any value. */
function hasLabel(labels: string[], filter: string): boolean {
  const i = filter.indexOf('=');
  const key = i < 0 ? filter : filter.slice(0, i);
  return labels.some((l) => {
    const j = l.indexOf('=');
    const k = j < 0 ? l : l.slice(0, j);
    return k === key && (i < 0 || (j < 0 ? '' : l.slice(j + 1)).toLowerCase() === filter.slice(i + 1).toLowerCase());
  });
}

/**
 * Filters that need no driver: name, driver, label, swarm. Same key = OR,
 * different keys = AND. A machine whose record cannot be read is always
 * listed, whatever the filters, as the reference lists it.
 */
export function staticFilter(entries: HostEntry[], f: Filters): HostEntry[] {
  const masters = swarmMasters(entries);
  return entries.filter((e) => {
    if (!e.host) return true;
    const h = e.host;
    if (f.name.length && !f.name.some((re) => re.test(h.Name))) return false;
    if (f.driver.length && !f.driver.some((d) => d.toLowerCase() === h.DriverName.toLowerCase())) return false;
    if (f.label.length && !f.label.some((l) => hasLabel(h.HostOptions.EngineOptions.Labels ?? [], l))) return false;
    if (f.swarm.length && !inSwarmOf(h, entries, f.swarm, masters)) return false;
    return true;
  });
}

/**
 * The reference's map of each discovery to its swarm master's name: of
 * several masters on one discovery, the last listed wins.
 */
function swarmMasters(entries: HostEntry[]): Map<string, string> {
  const masters = new Map<string, string>();
  for (const x of entries) if (x.host?.HostOptions.SwarmOptions.Master) masters.set(x.host.HostOptions.SwarmOptions.Discovery, x.name);
  return masters;
}

/**
 * The reference's swarm filter names a master and selects it and its agents.
 * In swarm mode every manager is a master: naming any manager selects every
 * machine of its cluster.
 */
function inSwarmOf(h: HostConfig, entries: HostEntry[], names: string[], masters: Map<string, string>): boolean {
  const wanted = names.map((s) => s.toLowerCase());
  const member = swarmRecord(h);
  if (member) {
    return entries.some((x) => {
      const r = x.host ? swarmRecord(x.host) : undefined;
      return r?.Role === 'manager' && r.ClusterID === member.ClusterID && wanted.includes(x.name.toLowerCase());
    });
  }
  // The master of the machine's discovery, '' when there is none: so
  // `swarm=` (an empty name) selects the machines in no swarm, as in the reference.
  return wanted.includes((masters.get(h.HostOptions.SwarmOptions.Discovery) ?? '').toLowerCase());
}

export function renderItems(items: ListItem[], format: string | undefined): string {
  let f = format && format !== '' ? format : DEFAULT_LS_FORMAT;
  const table = f.startsWith('table');
  if (table) f = f.slice('table'.length);
  // In the reference's order: spaces trimmed, then \t and \n made real.
  f = unescapeFormat(f.replace(/^ +| +$/g, ''));
  let t: Template;
  try {
    t = new Template(f);
  } catch (e) {
    throw new MachineError('usage', (e as Error).message);
  }
  let out = '';
  try {
    // The header row runs the template over the reference's map of column titles.
    if (table) out += t.execute(HEADERS, { mapElem: 'string' }) + '\n';
    for (const it of items) out += t.execute(hostListItem(it), { type: HOST_LIST_ITEM.name }) + '\n';
  } catch (e) {
    if (e instanceof TemplateError) {
      // The reference's rows so far, and the failing row's text up to the error, then the error.
      const partial = out + e.partial;
      throw new PartialOutputError(e.message, table ? tabwrite(partial, LS_TABWRITER) : partial);
    }
    throw e;
  }
  return table ? tabwrite(out, LS_TABWRITER) : out;
}

async function sweepAfterKilledHosts(): Promise<void> {
  try {
    // The bundle holds launch-record itself (bin/bundle.js): prespawn would load child_process too.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await (require('@machine/driver-sdk/launch-record') as typeof import('@machine/driver-sdk/launch-record')).sweepStaleLaunches();
  } catch {
    // what is left stays for the next launch, which sweeps again
  }
}

function startFirstDriver(ctx: CommandContext): void {
  const first = ctx.store.names()[0];
  if (first === undefined) return;
  let host: HostConfig;
  try {
    host = ctx.store.load(first);
  } catch {
    return; // a broken record is reported by the listing itself
  }
  // A machine that may prove it runs may need no driver (query/list.ts).
  if (urlToProve(host) === undefined) ctx.startDriver(host.DriverName);
}

export const spec: CommandSpec = {
  id: 'ls',
  summary: 'List machines',
  description: 'Lists every machine with its driver, state, URL and Docker version. One driver process serves all machines of that driver; a machine that does not answer within --timeout shows as Timeout, and a broken one shows its error without hiding the others.',
  examples: ['<%= config.bin %> ls', '<%= config.bin %> ls --filter driver=generic --filter state=Running', "<%= config.bin %> ls --format '{{.Name}}: {{.URL}}'", '<%= config.bin %> ls -q'],
  args: [],
  // Words after the flags are ignored, as the reference ignores them.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    quiet: { type: 'boolean', char: 'q', description: 'Enable quiet mode' },
    filter: { type: 'string', multiple: true, description: 'Filter output based on conditions provided', helpValue: '<key=value>' },
    timeout: { type: 'integer', char: 't', default: 10, min: 1, description: 'Timeout in seconds, default to 10s', helpValue: '<seconds>' },
    format: { type: 'string', char: 'f', description: 'Pretty-print machines using a Go template', helpValue: '<template>' },
    json: { type: 'boolean', description: 'Print the machines as one JSON array (schema: docs/cli.md)' },
  },
  async run(ctx, { flags }) {
    const filterArgs = (flags.filter as string[] | undefined) ?? [];
    const filters = parseFilters(filterArgs);
    // A plain listing will ask a driver about every machine: the first
    // machine's driver starts now and boots while the rest of the store is
    // read (100 config.json files take about as long as a Node start).
    if (flags.quiet !== true && filterArgs.length === 0) startFirstDriver(ctx);
    let entries = staticFilter(ctx.store.list(), filters);
    const needState = filters.state.length > 0;
    if (flags.quiet === true && !needState) {
      for (const e of entries) if (e.host) ctx.out(e.name);
      return;
    }
    const items = await gather(ctx, entries, { timeoutMs: (flags.timeout as number) * 1000, dockerVersion: flags.quiet !== true });
    // Every driver launch first cleans up after hosts killed outright
    // (SIGKILL): their orphaned drivers and socket directories. A listing
    // whose machines all proved they run launched none, so it does the same.
    if (!ctx.registryUsed) await sweepAfterKilledHosts();
    let shown = items;
    if (needState) {
      const wanted = filters.state.map((s) => s.toLowerCase());
      const unreadable = new Set(entries.filter((e) => !e.host).map((e) => e.name));
      shown = items.filter((i) => unreadable.has(i.Name) || wanted.includes(i.State.toLowerCase()));
      entries = entries.filter((e) => shown.some((i) => i.Name === e.name));
    }
    shown.sort((a, b) => naturalCompare(a.Name, b.Name));
    if (flags.quiet === true) {
      for (const e of entries) if (e.host) ctx.out(e.name);
      return;
    }
    if (flags.json === true) {
      ctx.out(jsonDocument(shown));
      return;
    }
    const rendered = renderItems(shown, flags.format as string | undefined);
    if (rendered) ctx.out(rendered.replace(/\n$/, ''));
  },
};
