import { strict as assert } from 'node:assert';
import { normaliseBooleanFlag, parseSshCommandLine, SshUsageError } from './args';

const VALUE_FLAGS = new Set(['-s', '--storage-path']);
const parse = (line: string) => parseSshCommandLine(line ? line.split(' ') : [], VALUE_FLAGS);

describe('machine ssh command line', () => {
  it('takes --native-ssh=false after the command as the CLI\'s flag, spelled for the parser', () => {
    assert.deepEqual(parse('--native-ssh=false dev'), { globals: ['--no-native-ssh'], name: 'dev', sshOptions: [], command: [] });
    assert.deepEqual(parse('-s /tmp/store --native-ssh=true dev uptime'), { globals: ['-s', '/tmp/store', '--native-ssh'], name: 'dev', sshOptions: [], command: ['uptime'] });
    assert.equal(normaliseBooleanFlag('--native-ssh=0'), '--no-native-ssh');
  });

  it('gives options after the machine name to ssh and starts the command at the first other word', () => {
    assert.deepEqual(parse('dev -C echo foo'), { globals: [], name: 'dev', sshOptions: ['-C'], command: ['echo', 'foo'] });
    assert.deepEqual(parse('dev -v -L 8080:localhost:80 -oServerAliveInterval=5 -p2222 ls -la'), {
      globals: [],
      name: 'dev',
      sshOptions: ['-v', '-L', '8080:localhost:80', '-oServerAliveInterval=5', '-p2222'],
      command: ['ls', '-la'],
    });
    assert.deepEqual(parse('dev -tt -i key top'), { globals: [], name: 'dev', sshOptions: ['-tt', '-i', 'key'], command: ['top'] });
  });

  it('starts the command after "--", even when it begins with a dash', () => {
    assert.deepEqual(parse('dev -C -- -x y'), { globals: [], name: 'dev', sshOptions: ['-C'], command: ['-x', 'y'] });
    assert.deepEqual(parse('dev -- ls -la /'), { globals: [], name: 'dev', sshOptions: [], command: ['ls', '-la', '/'] });
    assert.deepEqual(parse('dev echo -C'), { globals: [], name: 'dev', sshOptions: [], command: ['echo', '-C'] });
  });

  it('leaves the name to the default machine when none is typed', () => {
    assert.deepEqual(parse('--native-ssh=false'), { globals: ['--no-native-ssh'], sshOptions: [], command: [] });
    assert.deepEqual(parse(''), { globals: [], sshOptions: [], command: [] });
  });

  it('refuses an unknown option and an option missing its value, with the fix', () => {
    assert.throws(() => parse('dev -Z ls'), (e: Error) => e instanceof SshUsageError && /Unknown ssh option "-Z".*machine ssh dev -- -Z/.test(e.message));
    assert.throws(() => parse('dev -L'), (e: Error) => e instanceof SshUsageError && /-L needs a value/.test(e.message));
  });
});
