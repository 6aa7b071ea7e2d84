// The command table oclif reads ("commands" strategy "explicit" in
// package.json): id → Command class, each made on first use so that help for
// one command loads only that command's module.
import type { Command } from '@oclif/core';
import { loadSpec } from './dispatch';
import { commandFromSpec } from './oclif';

/* eslint-disable @typescript-eslint/no-require-imports */
const CLASS_COMMANDS: Record<string, () => typeof Command> = {
  create: () => (require('../commands/create') as { default: typeof Command }).default,
  'image:build': () => (require('../commands/image/build') as { default: typeof Command }).default,
  kill: () => (require('../commands/kill') as { default: typeof Command }).default,
  mount: () => (require('../commands/mount') as { default: typeof Command }).default,
  provision: () => (require('../commands/provision') as { default: typeof Command }).default,
  'regenerate-certs': () => (require('../commands/regenerate-certs') as { default: typeof Command }).default,
  restart: () => (require('../commands/restart') as { default: typeof Command }).default,
  rm: () => (require('../commands/rm') as { default: typeof Command }).default,
  scp: () => (require('../commands/scp') as { default: typeof Command }).default,
  ssh: () => (require('../commands/ssh') as { default: typeof Command }).default,
  start: () => (require('../commands/start') as { default: typeof Command }).default,
  stop: () => (require('../commands/stop') as { default: typeof Command }).default,
  upgrade: () => (require('../commands/upgrade') as { default: typeof Command }).default,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const SPEC_COMMANDS = ['active', 'config', 'env', 'inspect', 'ip', 'ls', 'status', 'url', 'version', 'driver:ls', 'driver:inspect'];

function lazy(table: Record<string, typeof Command>, id: string, make: () => typeof Command): void {
  let made: typeof Command | undefined;
  Object.defineProperty(table, id, { enumerable: true, get: () => (made ??= make()) });
}

export const COMMANDS: Record<string, typeof Command> = {};
for (const [id, make] of Object.entries(CLASS_COMMANDS)) lazy(COMMANDS, id, make);
for (const id of SPEC_COMMANDS) {
  lazy(COMMANDS, id, () => {
    const spec = loadSpec(id.replace(':', ' '));
    if (!spec) throw new Error(`no command spec for ${id}`);
    return commandFromSpec(spec);
  });
}
