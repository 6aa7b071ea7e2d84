import * as assert from 'node:assert/strict';
import { SHELL_HINT, detectShell, shellSyntax } from './shell';
import { splitArgv } from '../command/argv';
import { machineNameProblem } from '../names';

describe('env shells', () => {
  const url = 'tcp://1.2.3.4:2376';
  it('sets and unsets per shell like the reference', () => {
    assert.equal(shellSyntax('bash').set('DOCKER_HOST', url), 'export DOCKER_HOST="tcp://1.2.3.4:2376"');
    assert.equal(shellSyntax('zsh').unset('DOCKER_HOST'), 'unset DOCKER_HOST');
    assert.equal(shellSyntax('fish').set('DOCKER_HOST', url), 'set -gx DOCKER_HOST "tcp://1.2.3.4:2376";');
    assert.equal(shellSyntax('fish').unset('DOCKER_HOST'), 'set -e DOCKER_HOST;');
    assert.equal(shellSyntax('powershell').set('DOCKER_HOST', url), '$Env:DOCKER_HOST = "tcp://1.2.3.4:2376"');
    assert.equal(shellSyntax('powershell').unset('DOCKER_HOST'), 'Remove-Item Env:\\\\DOCKER_HOST');
    assert.equal(shellSyntax('cmd').set('DOCKER_HOST', url), 'SET DOCKER_HOST=tcp://1.2.3.4:2376');
    assert.equal(shellSyntax('cmd').unset('DOCKER_HOST'), 'SET DOCKER_HOST=');
    assert.equal(shellSyntax('tcsh').set('DOCKER_HOST', url), 'setenv DOCKER_HOST "tcp://1.2.3.4:2376";');
    assert.equal(shellSyntax('tcsh').unset('DOCKER_HOST'), 'unsetenv DOCKER_HOST;');
    assert.equal(shellSyntax('emacs').set('DOCKER_HOST', url), '(setenv "DOCKER_HOST" "tcp://1.2.3.4:2376")');
    assert.equal(shellSyntax('emacs').unset('DOCKER_HOST'), '(setenv "DOCKER_HOST" nil)');
  });

  it('usage hints wrap the command per shell', () => {
    const words = ['machine', 'env', 'dev'];
    assert.equal(shellSyntax('bash').usage(words), 'eval $(machine env dev)');
    assert.equal(shellSyntax('fish').usage(words), 'eval (machine env dev)');
    assert.equal(shellSyntax('powershell').usage(words), '& machine env dev | Invoke-Expression');
    assert.equal(shellSyntax('cmd').usage(words), '\t@FOR /f "tokens=*" %i IN (\'machine env dev\') DO @%i');
    assert.equal(shellSyntax('tcsh').usage(words), 'eval `machine env dev`');
    assert.equal(shellSyntax('emacs').comment, ';;');
  });

  it('quotes values and hint words that hold spaces, quotes and $ for each shell', () => {
    const v = 'a b"c$d`e\\f';
    assert.equal(shellSyntax('bash').set('X', v), 'export X="a b\\"c\\$d\\`e\\\\f"');
    assert.equal(shellSyntax('fish').set('X', v), 'set -gx X "a b\\"c\\$d`e\\\\f";');
    assert.equal(shellSyntax('tcsh').set('X', v), `setenv X "a b"'"'"c"'$'"d"'\`'"e\\f";`);
    assert.equal(shellSyntax('powershell').set('X', v), '$Env:X = "a b`"c`$d``e\\f"');
    assert.equal(shellSyntax('cmd').set('X', 'a&b|c%d%'), 'SET X=a^&b^|c^%d^%');
    assert.equal(shellSyntax('emacs').set('X', v), '(setenv "X" "a b\\"c$d`e\\\\f")');
    const typed = ['/opt/my tools/machine', 'env', "it's"];
    assert.equal(shellSyntax('bash').usage(typed), `eval $('/opt/my tools/machine' env 'it'\\''s')`);
    assert.equal(shellSyntax('fish').usage(typed), `eval ('/opt/my tools/machine' env 'it\\'s')`);
    assert.equal(shellSyntax('powershell').usage(typed), `& '/opt/my tools/machine' env 'it''s' | Invoke-Expression`);
    assert.equal(shellSyntax('emacs').usage(['/a b/machine', 'env']), `(with-temp-buffer (shell-command "'/a b/machine' env" (current-buffer)) (eval-buffer))`);
  });

  it('detects the shell from $SHELL and fails without it', () => {
    assert.equal(detectShell(undefined, { SHELL: '/usr/bin/fish' }, () => undefined), 'fish');
    const out: string[] = [];
    assert.throws(() => detectShell(undefined, {}, (s) => out.push(s)), /Unknown shell/);
    // The hint ends with a blank line, as the reference prints it.
    assert.deepEqual(out, [SHELL_HINT + '\n']);
  });
});

describe('argv and names', () => {
  it('moves leading global flags after the command and rewrites --native-ssh=false', () => {
    assert.deepEqual(splitArgv(['-s', '/x', '--debug', 'ls', '-q']).normalized, ['ls', '-q', '-s', '/x', '--debug']);
    assert.deepEqual(splitArgv(['--native-ssh=false', 'driver', 'ls']).normalized, ['driver', 'ls', '--no-native-ssh']);
    assert.deepEqual(splitArgv(['env', 'dev', '--native-ssh=true']).normalized, ['env', 'dev', '--native-ssh']);
    assert.deepEqual(splitArgv(['--version']).normalized, ['version']);
    assert.deepEqual(splitArgv(['help', 'driver', 'ls']).normalized, ['driver', 'ls', '--help']);
    assert.deepEqual(splitArgv(['help']).normalized, ['--help']);
    assert.deepEqual(splitArgv(['-s', '/x', '-v']).normalized, ['version', '-s', '/x']);
  });

  it('reads leading global flags as Go flags: one dash or two, and -s=DIR', () => {
    assert.deepEqual(splitArgv(['-s=/x', 'ls']).normalized, ['ls', '-s', '/x']);
    assert.deepEqual(splitArgv(['-storage-path', '/x', '-debug', 'ls']).normalized, ['ls', '--storage-path', '/x', '--debug']);
    assert.deepEqual(splitArgv(['-storage-path=/x', '-native-ssh=false', 'ls']).normalized, ['ls', '--storage-path=/x', '--no-native-ssh']);
    assert.deepEqual(splitArgv(['-version']).normalized, ['version']);
    // A value that looks like a flag stays the value; after the command nothing is rewritten.
    assert.deepEqual(splitArgv(['-s', '-debug', 'ls']).normalized, ['ls', '-s', '-debug']);
    assert.deepEqual(splitArgv(['ssh', 'dev', '-s=x']).normalized, ['ssh', 'dev', '-s=x']);
    // Not a global flag: left for the command's parser to refuse.
    assert.deepEqual(splitArgv(['-bogus', 'ls']).normalized, ['-bogus', 'ls']);
  });

  it('machine names follow the reference regex', () => {
    for (const ok of ['dev', 'a', '0', 'my-host.example', 'A-1.2']) assert.equal(machineNameProblem(ok), undefined, ok);
    assert.match(String(machineNameProblem('.x')), /must start/);
    assert.match(String(machineNameProblem('a b')), /contains " "/);
    assert.match(String(machineNameProblem('a/b')), /contains "\/"/);
    assert.match(String(machineNameProblem('')), /empty/);
  });
});
