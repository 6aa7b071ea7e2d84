// The Go types Docker Machine 0.16's ls runs its --format over, field for
// field: HostListItem (commands/ls.go), swarm.Options and engine.Options
// (libmachine). Their names, order and declared types are what a template
// sees: {{.EngineOptions.DNS}} reads a field the record stores as "Dns",
// {{.SwarmOptions}} prints {true  token://... ...}, and errors name the types.
import { GoNil, GoStruct, goStruct, parseGoDuration, type GoField, type GoStructType } from './go-value';
import type { MachineStateName } from '@machine/driver-sdk';
import type { ListItem } from '../query/list';

const str = (name: string): GoField => ({ name, type: 'string', kind: 'string' });
const bool = (name: string): GoField => ({ name, type: 'bool', kind: 'bool' });
const strings = (name: string, json?: string): GoField => ({ name, json, type: '[]string', kind: 'slice' });

/** libmachine's state.State, in its order: the number each name stands for. */
const STATES: readonly MachineStateName[] = ['', 'Running', 'Paused', 'Saved', 'Stopped', 'Stopping', 'Starting', 'Error', 'Timeout'];

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
    { name: 'State', type: 'state.State', kind: 'named', named: (t) => Math.max(0, STATES.indexOf(t as MachineStateName)) },
    str('URL'),
    { name: 'SwarmOptions', type: '*swarm.Options', kind: 'struct', struct: SWARM_OPTIONS },
    str('Swarm'),
    { name: 'EngineOptions', type: '*engine.Options', kind: 'struct', struct: ENGINE_OPTIONS },
    str('Error'),
    str('DockerVersion'),
    { name: 'ResponseTime', type: 'time.Duration', kind: 'named', named: parseGoDuration },
  ],
};

/** An ls row as the reference's template receives it: a HostListItem value. */
export function hostListItem(item: ListItem): GoStruct | GoNil {
  return goStruct(HOST_LIST_ITEM, item as unknown as Record<string, unknown>, false);
}
