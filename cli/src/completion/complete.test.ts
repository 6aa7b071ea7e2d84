import * as assert from 'node:assert/strict';
import { complete, CompletionExit } from './complete';
import { extendBash, extendZsh, DYNAMIC_MARK } from './scripts';

describe('shell completion: what the CLI answers', () => {
  const seen: string[] = [];
  const sources = {
    machines: (store: string) => {
      seen.push(store);
      return ['a1', 'a2', 'b'];
    },
    drivers: () => ['docker', 'generic', 'none'],
  };
  const env = { HOME: '/home/u' };
  const ask = (...words: string[]) => complete(words, env, sources);

  it('answers with machines for commands that take them', () => {
    assert.deepEqual(ask('ssh', ''), { exit: CompletionExit.Candidates, candidates: ['a1', 'a2', 'b'] });
    assert.deepEqual(ask('stop', 'a1', 'a').candidates, ['a2']);
    assert.deepEqual(ask('url', 'a1', '').candidates, []);
  });

  it('answers with drivers and listed values for flags', () => {
    assert.deepEqual(ask('create', '-d', '').candidates, ['docker', 'generic', 'none']);
    assert.deepEqual(ask('create', '--driver', 'd').candidates, ['docker']);
    assert.deepEqual(ask('env', '--shell', 'po').candidates, ['powershell']);
  });

  it('leaves commands and flags to oclif, and paths to the shell', () => {
    assert.equal(ask('cr').exit, CompletionExit.Defer);
    assert.equal(ask('ls', '--fo').exit, CompletionExit.Defer);
    assert.equal(ask('driver', 'in').exit, CompletionExit.Defer);
    assert.equal(ask('import', '').exit, CompletionExit.Files);
    assert.equal(ask('-s', '').exit, CompletionExit.Files);
    assert.equal(ask('create', '--generic-ssh-key', '').exit, CompletionExit.Files, 'a driver flag oclif does not know');
  });

  it('reads the store named by -s, --storage-path or MACHINE_STORAGE_PATH', () => {
    seen.length = 0;
    ask('-s', '/st/one', 'ssh', '');
    ask('ssh', '--storage-path=/st/two', '');
    complete(['rm', ''], { ...env, MACHINE_STORAGE_PATH: '/st/three' }, sources);
    assert.deepEqual(seen, ['/st/one', '/st/two', '/st/three']);
  });
});

describe('shell completion: the scripts oclif wrote, extended', () => {
  it('puts the dynamic completer in front of oclif\'s function, once', () => {
    const bash = extendBash('_machine_autocomplete() { :; }\ncomplete -F _machine_autocomplete machine\n', 'machine');
    assert.match(bash, /complete -F _machine_dynamic_autocomplete machine\n$/);
    assert.equal(extendBash(bash, 'machine'), bash);
  });

  it('renames oclif\'s zsh function and calls the new one, or leaves an unknown layout alone', () => {
    const zsh = extendZsh('#compdef machine\n_machine() {\n  _arguments\n}\n\n_machine\n', 'machine');
    assert.match(zsh, /^_machine_oclif\(\) \{$/m);
    assert.match(zsh, /\*\) _machine_oclif ;;/);
    assert.match(zsh, /\n_machine "\$@"\n$/);
    assert.ok(zsh.includes(DYNAMIC_MARK));
    const odd = '#compdef machine\nsomething else\n';
    assert.equal(extendZsh(odd, 'machine'), odd);
  });
});
