// After `machine autocomplete` (and the plugin's own cache refresh, which
// runs autocomplete:create) has written its completion functions, put the
// dynamic completer in front of them (completion/scripts.ts). Every other
// command returns at once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hook } from '@oclif/core';

const WRITERS = new Set(['autocomplete', 'autocomplete:create']);

const hook: Hook<'postrun'> = async function (opts) {
  if (!WRITERS.has(opts.Command.id)) return;
  const { extendBash, extendPowerShell, extendZsh } = await import('../completion/scripts');
  const bin = opts.config.bin;
  const functions = path.join(opts.config.cacheDir, 'autocomplete', 'functions');
  const files: Array<[string, (script: string, bin: string) => string]> = [
    [path.join(functions, 'bash', `${bin}.bash`), extendBash],
    [path.join(functions, 'zsh', `_${bin}`), extendZsh],
    [path.join(functions, 'powershell', `${bin}.ps1`), extendPowerShell],
  ];
  for (const [file, extend] of files) {
    let script: string;
    try {
      script = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // not written for this shell
    }
    const extended = extend(script, bin);
    if (extended !== script) fs.writeFileSync(file, extended);
  }
};

export default hook;
