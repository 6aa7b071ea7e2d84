import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError } from '@machine/driver-sdk';
import { doctlConfigPath, resolveToken, tokenFor } from './credentials';

describe('digitalocean credentials', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const writeConfig = (text: string) => {
    fs.mkdirSync(path.join(home, 'cfg', 'doctl'), { recursive: true });
    fs.writeFileSync(path.join(home, 'cfg', 'doctl', 'config.yaml'), text);
  };
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'do-cred-'));
    env = { XDG_CONFIG_HOME: path.join(home, 'cfg') };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('takes the flag first, then DIGITALOCEAN_ACCESS_TOKEN, then doctl', () => {
    writeConfig('access-token: from-doctl\n');
    assert.deepEqual(resolveToken('from-flag', undefined, { ...env, DIGITALOCEAN_ACCESS_TOKEN: 'from-env' }), { token: 'from-flag' });
    assert.deepEqual(resolveToken(undefined, undefined, { ...env, DIGITALOCEAN_ACCESS_TOKEN: 'from-env' }), { token: 'from-env' });
    assert.deepEqual(resolveToken(undefined, undefined, env), { token: 'from-doctl', doctlContext: 'default' });
  });

  it('reads doctl contexts: the named one, or the file\'s current one', () => {
    writeConfig('access-token: default-token\nauth-contexts:\n  work: work-token\n  home: home-token\ncontext: work\n');
    assert.deepEqual(resolveToken(undefined, undefined, env), { token: 'work-token', doctlContext: 'work' });
    assert.deepEqual(resolveToken(undefined, 'home', env), { token: 'home-token', doctlContext: 'home' });
    assert.deepEqual(resolveToken(undefined, 'default', env), { token: 'default-token', doctlContext: 'default' });
    // A context asks for doctl's token even when the variable is set.
    assert.equal(resolveToken(undefined, 'home', { ...env, DIGITALOCEAN_ACCESS_TOKEN: 'x' }).token, 'home-token');
    const e = assert.throws(() => resolveToken(undefined, 'nope', env), (err: unknown) => err instanceof DriverError && err.flag === 'digitalocean-context');
    void e;
  });

  it('without any token, names --digitalocean-access-token', () => {
    assert.throws(
      () => resolveToken(undefined, undefined, env),
      (err: unknown) => err instanceof DriverError && err.flag === 'digitalocean-access-token' && /requires the --digitalocean-access-token option/.test(err.message),
    );
  });

  it('a broken config file is named, its content is not', () => {
    writeConfig('access-token: [secret-value\n');
    assert.throws(
      () => resolveToken(undefined, undefined, env),
      (err: unknown) => err instanceof DriverError && /not valid YAML/.test(err.message) && !err.message.includes('secret-value'),
    );
  });

  it('reads doctl\'s token again on each call when the state holds only the context', () => {
    writeConfig('access-token: first\n');
    assert.equal(tokenFor({ DoctlContext: 'default' }, env), 'first');
    writeConfig('access-token: rotated\n');
    assert.equal(tokenFor({ DoctlContext: 'default' }, env), 'rotated');
    assert.equal(tokenFor({ AccessToken: 'stored', DoctlContext: 'default' }, env), 'stored');
    fs.rmSync(path.join(home, 'cfg'), { recursive: true });
    assert.throws(() => tokenFor({ DoctlContext: 'default' }, env), (err: unknown) => err instanceof DriverError && err.code === 'unauthenticated');
  });

  it('finds doctl\'s file under XDG_CONFIG_HOME or ~/.config', () => {
    assert.equal(doctlConfigPath({ XDG_CONFIG_HOME: '/x' }, '/home/u'), '/x/doctl/config.yaml');
    if (process.platform !== 'darwin') assert.equal(doctlConfigPath({}, '/home/u'), '/home/u/.config/doctl/config.yaml');
  });
});
