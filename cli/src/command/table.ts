/**
 * Every command of the core, by id. The file of command "X Y" is
 * commands/X/Y.ts, of "X" commands/X.ts. Static requires inside functions:
 * only the command asked for is loaded, and the bundler can follow them.
 */
import type { CommandSpec } from './spec';

interface SpecModule {
  spec: CommandSpec;
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const COMMAND_TABLE: Record<string, () => CommandSpec> = {
  active: () => (require('../commands/active') as SpecModule).spec,
  certs: () => (require('../commands/certs') as SpecModule).spec,
  config: () => (require('../commands/config') as SpecModule).spec,
  create: () => (require('../commands/create') as SpecModule).spec,
  'driver inspect': () => (require('../commands/driver/inspect') as SpecModule).spec,
  'driver install': () => (require('../commands/driver/install') as SpecModule).spec,
  'driver ls': () => (require('../commands/driver/ls') as SpecModule).spec,
  'driver rm': () => (require('../commands/driver/rm') as SpecModule).spec,
  'driver test': () => (require('../commands/driver/test') as SpecModule).spec,
  env: () => (require('../commands/env') as SpecModule).spec,
  export: () => (require('../commands/export') as SpecModule).spec,
  import: () => (require('../commands/import') as SpecModule).spec,
  inspect: () => (require('../commands/inspect') as SpecModule).spec,
  ip: () => (require('../commands/ip') as SpecModule).spec,
  kill: () => (require('../commands/kill') as SpecModule).spec,
  ls: () => (require('../commands/ls') as SpecModule).spec,
  mount: () => (require('../commands/mount') as SpecModule).spec,
  provision: () => (require('../commands/provision') as SpecModule).spec,
  'regenerate-certs': () => (require('../commands/regenerate-certs') as SpecModule).spec,
  restart: () => (require('../commands/restart') as SpecModule).spec,
  rm: () => (require('../commands/rm') as SpecModule).spec,
  scp: () => (require('../commands/scp') as SpecModule).spec,
  ssh: () => (require('../commands/ssh') as SpecModule).spec,
  start: () => (require('../commands/start') as SpecModule).spec,
  status: () => (require('../commands/status') as SpecModule).spec,
  stop: () => (require('../commands/stop') as SpecModule).spec,
  'swarm init': () => (require('../commands/swarm/init') as SpecModule).spec,
  'swarm join': () => (require('../commands/swarm/join') as SpecModule).spec,
  'swarm leave': () => (require('../commands/swarm/leave') as SpecModule).spec,
  'swarm ls': () => (require('../commands/swarm/ls') as SpecModule).spec,
  upgrade: () => (require('../commands/upgrade') as SpecModule).spec,
  url: () => (require('../commands/url') as SpecModule).spec,
  use: () => (require('../commands/use') as SpecModule).spec,
  version: () => (require('../commands/version') as SpecModule).spec,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export function loadSpec(id: string): CommandSpec | undefined {
  return Object.prototype.hasOwnProperty.call(COMMAND_TABLE, id) ? COMMAND_TABLE[id]() : undefined;
}
