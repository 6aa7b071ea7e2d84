// Docker Machine's wording for an unknown command, and its exit code 1.
import type { Hook } from '@oclif/core';

const hook: Hook<'command_not_found'> = async function (opts) {
  process.stderr.write(`${opts.config.bin}: '${opts.id.split(':')[0]}' is not a ${opts.config.bin} command. See '${opts.config.bin} --help'.\n`);
  process.exit(1);
};

export default hook;
