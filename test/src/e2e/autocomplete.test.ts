// machine autocomplete (oclif's plugin): the generated bash script, loaded
// into a real bash, registers a completion function that completes command
// names and a command's flags.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, explain, run, Sandbox } from './generic-support';

describe('machine autocomplete in a real bash', function () {
  this.timeout(120_000);
  const sb = new Sandbox();
  const home = path.join(sb.dir, 'home');
  const bin = path.join(sb.dir, 'bin');

  before(() => {
    fs.mkdirSync(home);
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'machine'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
  });
  after(() => sb.cleanup());

  /** Runs a bash script with the completion loaded, as the setup instructions load it. */
  const withCompletion = (script: string) =>
    run('bash', ['-c', `eval "$(machine autocomplete script bash)"\n${script}`], {
      env: sb.env({ HOME: home, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` }),
    });

  /** COMPREPLY for a command line completed at its end. */
  const complete = async (words: string[]): Promise<string[]> => {
    const line = words.join(' ');
    const r = await withCompletion(
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE='${line}'; COMP_POINT=${line.length}\n` +
        `fn=$(complete -p machine | sed -E 's/.*-F ([^ ]+).*/\\1/'); "$fn"; printf '%s\\n' "\${COMPREPLY[@]}"`,
    );
    assert.equal(r.code, 0, explain(r));
    return r.stdout.split('\n').filter(Boolean);
  };

  it('builds its cache and prints setup instructions', async () => {
    const r = await run('machine', ['autocomplete', 'bash'], { env: sb.env({ HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` }) });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /machine autocomplete script bash/);
  });

  it('registers a completion function for machine', async () => {
    const r = await withCompletion('complete -p machine');
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^complete -F \S+ machine$/m);
  });

  it('completes command names', async () => {
    assert.deepEqual(await complete(['machine', 'cre']), ['create']);
    assert.ok((await complete(['machine', 'e'])).includes('env'));
    assert.ok((await complete(['machine', 'e'])).includes('export'));
  });

  it('completes the flags of a command', async () => {
    const flags = await complete(['machine', 'use', '--']);
    assert.ok(flags.includes('--unset'), flags.join(' '));
    assert.ok(flags.includes('--storage-path'), flags.join(' '));
    assert.ok(!flags.includes('--force'), 'only use\'s flags');
  });
});
