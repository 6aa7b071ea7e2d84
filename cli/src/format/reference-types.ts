// The Go types Docker Machine 0.16's ls runs its --format over, field for
// field: HostListItem (commands/ls.go), swarm.Options and engine.Options
// (libmachine). Their names, order and declared types are what a template
// sees: {{.EngineOptions.DNS}} reads a field the record stores as "Dns",
// {{.SwarmOptions}} prints {true  token://... ...}, and errors name the types.
import { formatGoDuration, GoFloat, GoInt, GoNil, GoStruct, goStruct, parseGoDuration, type GoField, type GoMethod, type GoNamedInt, type GoStructType } from './go-value';
import type { MachineStateName } from '@machine/driver-sdk';
import type { ListItem } from '../query/list';

const str = (name: string): GoField => ({ name, type: 'string', kind: 'string' });
const bool = (name: string): GoField => ({ name, type: 'bool', kind: 'bool' });
const strings = (name: string, json?: string): GoField => ({ name, json, type: '[]string', kind: 'slice' });

/** libmachine's state.State, in its order: the number each name stands for. */
const STATES: readonly MachineStateName[] = ['', 'Running', 'Paused', 'Saved', 'Stopped', 'Stopping', 'Starting', 'Error', 'Timeout'];

const STATE: GoNamedInt = {
  name: 'state.State',
  parse: (text) => Math.max(0, STATES.indexOf(text as MachineStateName)),
  format: (n) => STATES[n] ?? '',
  methods: { String: { params: [], result: 'string', call: (s) => s.name ?? '' } },
};

const SECOND = 1e9;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** d / unit as Go's Duration methods compute it: whole units, plus the rest as a fraction. */
const inUnits = (d: GoInt, unit: number): GoFloat => new GoFloat(Math.trunc(d.int / unit) + (d.int % unit) / unit);
/** A Duration method of one Duration, giving a Duration: Round and Truncate. */
const byDuration = (op: (d: number, m: number) => number): GoMethod => ({
  params: ['time.Duration'],
  result: 'time.Duration',
  call: (d, [m]) => GoInt.of(DURATION, op(d.int, m.int)),
});

/**
 * time.Duration with the methods of the Go the reference was built with
 * (before 1.13, so no Milliseconds or Microseconds). Round and Truncate
 * give a Duration; Round rounds halves away from zero.
 */
const DURATION: GoNamedInt = {
  name: 'time.Duration',
  parse: parseGoDuration,
  format: formatGoDuration,
  methods: {
    String: { params: [], result: 'string', call: (d) => formatGoDuration(d.int) },
    Nanoseconds: { params: [], result: 'int64', call: (d) => new GoInt('int64', d.int) },
    Seconds: { params: [], result: 'float64', call: (d) => inUnits(d, SECOND) },
    Minutes: { params: [], result: 'float64', call: (d) => inUnits(d, MINUTE) },
    Hours: { params: [], result: 'float64', call: (d) => inUnits(d, HOUR) },
    Truncate: byDuration((d, m) => (m <= 0 ? d : d - (d % m))),
    Round: byDuration((d, m) => {
      if (m <= 0) return d;
      const r = Math.abs(d % m);
      const down = r + r < m;
      if (d < 0) return down ? d + r : d - m + r;
      return down ? d - r : d + m - r;
    }),
  },
};

const SWARM_OPTIONS: GoStructType = {
  name: 'swarm.Options',
  fields: [
    bool('IsSwarm'),
    str('Address'),
    str('Discovery'),
    bool('Agent'),
    bool('Master'),
    str('Host'),
    str('Image'),
    str('Strategy'),
    { name: 'Heartbeat', type: 'int', kind: 'int' },
    { name: 'Overcommit', type: 'float64', kind: 'float64' },
    strings('ArbitraryFlags'),
    strings('ArbitraryJoinFlags'),
    strings('Env'),
    bool('IsExperimental'),
  ],
};

const ENGINE_OPTIONS: GoStructType = {
  name: 'engine.Options',
  fields: [
    strings('ArbitraryFlags'),
    strings('DNS', 'Dns'),
    str('GraphDir'),
    strings('Env'),
    bool('Ipv6'),
    strings('InsecureRegistry'),
    strings('Labels'),
    str('LogLevel'),
    str('StorageDriver'),
    bool('SelinuxEnabled'),
    { name: 'TLSVerify', json: 'TlsVerify', type: 'bool', kind: 'bool' },
    strings('RegistryMirror'),
    str('InstallURL'),
  ],
};

export const HOST_LIST_ITEM: GoStructType = {
  name: 'commands.HostListItem',
  fields: [
    str('Name'),
    str('Active'),
    bool('ActiveHost'),
    bool('ActiveSwarm'),
    str('DriverName'),
    // state.State is an int that prints its name (libmachine/state's order).
    { name: 'State', type: STATE.name, kind: 'named', named: STATE },
    str('URL'),
    { name: 'SwarmOptions', type: '*swarm.Options', kind: 'struct', struct: SWARM_OPTIONS },
    str('Swarm'),
    { name: 'EngineOptions', type: '*engine.Options', kind: 'struct', struct: ENGINE_OPTIONS },
    str('Error'),
    str('DockerVersion'),
    { name: 'ResponseTime', type: DURATION.name, kind: 'named', named: DURATION },
  ],
};

/** An ls row as the reference's template receives it: a HostListItem value. */
export function hostListItem(item: ListItem): GoStruct | GoNil {
  return goStruct(HOST_LIST_ITEM, item as unknown as Record<string, unknown>, false);
}
