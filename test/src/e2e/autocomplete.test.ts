// machine autocomplete (oclif's plugin, with the CLI's dynamic completer in
// front): the generated scripts, loaded into a real bash and a real zsh,
// complete command names and flags (oclif's cache) and machine names, driver
// names and flag values (machine __complete, reading the store).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, explain, run, Sandbox } from './generic-support';

const MACHINES = ['dev', 'dev-2', 'prod'];

describe('machine autocomplete in a real bash', function () {
  this.timeout(120_000);
  const sb = new Sandbox();
  const home = path.join(sb.dir, 'home');
  const bin = path.join(sb.dir, 'bin');

  before(async () => {
    fs.mkdirSync(home);
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'machine'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
    // Machines made by the CLI itself; the none driver needs no host.
    for (const name of MACHINES) await sb.ok(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:1', name]);
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
  it('completes machine names where a command takes them, and drops ones already given', async () => {
    assert.deepEqual(await complete(['machine', 'ssh', '']), MACHINES);
    assert.deepEqual(await complete(['machine', 'rm', 'd']), ['dev', 'dev-2']);
    assert.deepEqual(await complete(['machine', 'rm', 'dev', '']), ['dev-2', 'prod']);
    assert.deepEqual(await complete(['machine', 'env', '--shell', 'fish', 'p']), ['prod']);
    assert.deepEqual(await complete(['machine', 'swarm', 'join', '--manager', '']), MACHINES);
    assert.deepEqual(await complete(['machine', 'env', 'dev', '']), [], 'env takes one machine');
  });

  it('completes driver names after create -d, and flag values from their list', async () => {
    const drivers = await complete(['machine', 'create', '-d', '']);
    for (const d of ['docker', 'generic', 'none']) assert.ok(drivers.includes(d), drivers.join(' '));
    assert.deepEqual(await complete(['machine', 'create', '--driver', 'gen']), ['generic']);
    assert.deepEqual(await complete(['machine', 'driver', 'inspect', 'no']), ['none']);
    assert.deepEqual(await complete(['machine', 'env', '--shell', 'f']), ['fish']);
  });

  it('reads the store a -s before the command names', async () => {
    const other = path.join(sb.dir, 'other-store');
    await run(process.execPath, [CLI, '-s', other, 'create', '-d', 'none', '--url', 'tcp://127.0.0.1:1', 'elsewhere'], { env: sb.env() });
    assert.deepEqual(await complete(['machine', '-s', other, 'ssh', '']), ['elsewhere']);
  });

  it('falls back to file names where a path is expected', async () => {
    fs.writeFileSync(path.join(sb.dir, 'export-me.tar.gz'), '');
    assert.deepEqual(await complete(['machine', 'import', path.join(sb.dir, 'export-me')]), [path.join(sb.dir, 'export-me.tar.gz')]);
  });
});

/** A completion in a real interactive zsh, driven through zsh's own pseudo-terminal module (zpty). */
const ZSH_HARNESS = [
  "zmodload zsh/zpty",
  "zpty z zsh -f -i",
  "zpty -w z \"PS1='' PROMPT='' RPROMPT=''\"",
  "zpty -w z \"$1\"",
  "zpty -w z 'zstyle \":completion:*\" list-grouped false; zstyle \":completion:*\" insert-tab false'",
  "# Every match offered is printed (as MATCH:word) instead of being shown in a menu.",
  "zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"$@\"; return $?; fi; typeset -a hits; builtin compadd -A hits \"$@\"; local ret=$?; (( $#hits )) && print -r -l -- \"MA\"\"TCH:\"${^hits}; return ret; }'",
  "zpty -w z 'finish () { print \"END\"\"MARK\"; exit }'",
  "zpty -w z 'zstyle \":completion:*\" completer _complete; comppostfuncs=(finish)'",
  "zpty -w -n z \"$2\"$'\\t'",
  "while zpty -r z line; do",
  "  line=${line//$'\\r'/}",
  "  line=${line//$'\\n'/}",
  "  [[ $line == *ENDMARK* ]] && break",
  "  [[ $line == *MATCH:* ]] && print -r -- \"${line#*MATCH:}\"",
  "done",
  "zpty -d z",
].join('\n');

describe('machine autocomplete in a real zsh', function () {
  this.timeout(120_000);
  const sb = new Sandbox();
  const home = path.join(sb.dir, 'home');
  const bin = path.join(sb.dir, 'bin');
  const harness = path.join(sb.dir, 'harness.zsh');
  const env = () => sb.env({ HOME: home, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` });
  let setup: string;

  before(async () => {
    fs.mkdirSync(home);
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'machine'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(harness, ZSH_HARNESS);
    for (const name of MACHINES) await sb.ok(['create', '-d', 'none', '--url', 'tcp://127.0.0.1:1', name]);
    const built = await run('machine', ['autocomplete', 'zsh'], { env: env() });
    assert.equal(built.code, 0, explain(built));
    assert.match(built.stdout, /machine autocomplete script zsh/);
    const script = await run('machine', ['autocomplete', 'script', 'zsh'], { env: env() });
    assert.equal(script.code, 0, explain(script));
    setup = script.stdout.trim();
  });
  after(() => sb.cleanup());

  /** The matches zsh offers for a command line completed at its end. */
  const complete = async (line: string): Promise<string[]> => {
    const r = await run('zsh', ['-f', harness, setup, line], { env: env(), timeoutMs: 30_000 });
    assert.equal(r.code, 0, explain(r));
    return r.stdout.split('\n').filter(Boolean);
  };

  it('completes commands and flags from oclif\'s cache', async () => {
    assert.deepEqual(await complete('machine cre'), ['create']);
    assert.ok((await complete('machine ls --fo')).includes('--format'));
  });

  it('completes machine names and driver names from the CLI', async () => {
    assert.deepEqual(await complete('machine ssh '), MACHINES);
    assert.deepEqual(await complete('machine rm dev '), ['dev-2', 'prod']);
    const drivers = await complete('machine create -d ');
    for (const d of ['docker', 'generic', 'none']) assert.ok(drivers.includes(d), drivers.join(' '));
  });
});

describe('machine autocomplete for powershell', function () {
  this.timeout(120_000);
  const sb = new Sandbox();
  const home = path.join(sb.dir, 'home');
  after(() => sb.cleanup());

  it('writes a completer that asks the CLI first and keeps oclif\'s for commands and flags', async () => {
    fs.mkdirSync(home);
    const r = await sb.cli(['autocomplete', 'powershell'], { env: { HOME: home } });
    assert.equal(r.code, 0, explain(r));
    const script = fs.readFileSync(path.join(home, '.cache', 'machine', 'autocomplete', 'functions', 'powershell', 'machine.ps1'), 'utf8');
    for (const id of ['"create"', '"ssh"', '"regenerate-certs"', '"driver"']) assert.ok(script.includes(id), `${id} in the command table`);
    assert.match(script, /\$out = & machine __complete -- @words/);
    assert.match(script, /default \{ & \$machineOclifCompleter \$WordToComplete \$CommandAst \$CursorPosition \}/);
    assert.match(script, /Register-ArgumentCompleter -Native -CommandName machine -ScriptBlock \$machineDynamicCompleter\s*$/);
    // PowerShell's own completer comes first in the file, and ours replaces its registration.
    assert.ok(script.indexOf('$scriptblock = {') < script.indexOf('$machineOclifCompleter = $scriptblock'));
  });
});
