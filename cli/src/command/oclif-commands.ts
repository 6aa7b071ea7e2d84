// The command table oclif reads ("commands" strategy "explicit" in
// package.json): id → Command class made from the command's spec on first
// use, so that help for one command loads only that command's module.
import type { Command } from '@oclif/core';
import { commandFromSpec } from './oclif';
import { COMMAND_TABLE } from './table';

export const COMMANDS: Record<string, typeof Command> = {};
for (const [id, load] of Object.entries(COMMAND_TABLE)) {
  let made: typeof Command | undefined;
  Object.defineProperty(COMMANDS, id.replace(/ /g, ':'), { enumerable: true, get: () => (made ??= commandFromSpec(load())) });
}
