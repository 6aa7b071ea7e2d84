import { strict as assert } from 'node:assert';
import { chooseDriver, driverFlagValues, engineOptionsFrom, scanDriverFlag, splitListsFromEnv, swarmOptionsFrom } from './create-flags';
import { parseLocation, scpCommand, scpURI } from '../lifecycle/copy';

describe('create flags, phase one: the driver', () => {
  it('finds the driver in every spelling the reference accepts', () => {
    assert.equal(scanDriverFlag(['-d', 'generic', 'x']), 'generic');
    assert.equal(scanDriverFlag(['--driver', 'none', 'x']), 'none');
    assert.equal(scanDriverFlag(['--driver=docker', 'x']), 'docker');
    assert.equal(scanDriverFlag(['-d=amazonec2']), 'amazonec2');
    assert.equal(scanDriverFlag(['x', '--engine-label', 'a=b']), undefined);
    assert.equal(scanDriverFlag(['--', '-d', 'generic']), undefined);
  });

  it('falls back to $MACHINE_DRIVER, then to the local engine, then explains', async () => {
    assert.equal(await chooseDriver(['x'], { MACHINE_DRIVER: 'none' }, async () => true), 'none');
    assert.equal(await chooseDriver(['x'], {}, async () => true), 'docker');
    assert.equal(await chooseDriver(['-d', 'generic', 'x'], { MACHINE_DRIVER: 'none' }, async () => true), 'generic');
    await assert.rejects(chooseDriver(['x'], { PATH: '' }, async () => false), /No driver given and no local Docker engine.*drivers found: .*generic/);
    await assert.rejects(chooseDriver(['-d'], {}, async () => true), /needs a driver name/);
  });
});

describe('create flags, phase two: the values', () => {
  it('sends the driver its defaults overridden by what the user set', () => {
    const values = driverFlagValues(
      [
        { name: 'generic-ip-address', type: 'string', description: '' },
        { name: 'generic-ssh-port', type: 'int', description: '', default: 22 },
        { name: 'generic-ssh-user', type: 'string', description: '', default: 'root' },
        { name: 'x-tags', type: 'string-list', description: '' },
        { name: 'x-flag', type: 'bool', description: '' },
      ],
      { 'generic-ip-address': '192.0.2.1', 'generic-ssh-port': '2222', 'x-tags': ['a', 'b'], 'x-flag': true },
    );
    assert.deepEqual(values, { 'generic-ip-address': '192.0.2.1', 'generic-ssh-port': 2222, 'generic-ssh-user': 'root', 'x-tags': ['a', 'b'], 'x-flag': true });
  });

  it('maps the shared engine and swarm flags onto the record', () => {
    const e = engineOptionsFrom({ 'engine-label': ['a=b'], 'engine-env': ['HTTP_PROXY=http://p'], 'engine-storage-driver': 'vfs', 'engine-install-url': 'distro' });
    assert.deepEqual(e.Labels, ['a=b']);
    assert.deepEqual(e.Env, ['HTTP_PROXY=http://p']);
    assert.equal(e.StorageDriver, 'vfs');
    assert.equal(e.InstallURL, 'distro');
    assert.throws(() => engineOptionsFrom({ 'engine-env': ['novalue'] }), /NAME=VALUE/);
    const s = swarmOptionsFrom({ 'swarm-master': true, 'swarm-discovery': 'token://abc' });
    assert.equal(s.IsSwarm, true);
    assert.equal(s.Master, true);
    assert.throws(() => swarmOptionsFrom({ 'swarm-discovery': 'nope' }), /Swarm Discovery URL was in the wrong format: nope/);
  });
});

describe('scp locations', () => {
  it('tells machines from local paths', () => {
    assert.deepEqual(parseLocation('dev:/tmp/x'), { machine: 'dev', user: undefined, path: '/tmp/x' });
    assert.deepEqual(parseLocation('ubuntu@dev:x'), { machine: 'dev', user: 'ubuntu', path: 'x' });
    assert.deepEqual(parseLocation('./a:b'), { path: './a:b' });
    assert.deepEqual(parseLocation('file.txt'), { path: 'file.txt' });
    assert.deepEqual(parseLocation('localhost:/etc/hosts'), { path: '/etc/hosts' });
    assert.throws(() => parseLocation('bad_name:/x'), /Invalid machine name/);
  });

  it('builds scp URIs that carry each end\'s port', () => {
    assert.equal(scpURI({ host: '192.0.2.1', port: 2222, user: 'root' }, '/tmp/x'), 'scp://root@192.0.2.1:2222//tmp/x');
    assert.equal(scpURI({ host: 'fe80::1', port: 22, user: 'u' }, 'rel'), 'scp://u@[fe80::1]:22/rel');
    const cmd = scpCommand({ loc: { path: 'a' } }, { loc: { machine: 'dev', path: '/b' }, end: { host: 'h', port: 22, user: 'root' } }, ['-o', 'X=1'], { recursive: true, quiet: true, delta: false });
    assert.equal(cmd.program, 'scp');
    assert.deepEqual(cmd.args.slice(-4), ['-r', '-q', 'a', 'scp://root@h:22//b']);
    const rs = scpCommand({ loc: { path: 'a' } }, { loc: { machine: 'dev', path: '/b' }, end: { host: 'h', port: 2200, user: 'root' } }, [], { recursive: false, quiet: false, delta: true });
    assert.equal(rs.program, 'rsync');
    assert.match(rs.args[rs.args.indexOf('-e') + 1], /^ssh -F \/dev\/null .*Port=2200$/);
    assert.equal(rs.args.at(-1), 'root@h:/b');
  });
});

describe('create flags read from the environment', () => {
  const definitions = {
    'engine-registry-mirror': { multiple: true, env: 'ENGINE_REGISTRY_MIRROR' },
    'engine-label': { multiple: true },
    'engine-storage-driver': { env: 'X_STORAGE' },
  };

  it('splits a repeatable flag from the environment on commas, as the reference does', () => {
    const out = splitListsFromEnv(definitions, { 'engine-registry-mirror': 'https://a.example, https://b.example' });
    assert.deepEqual(out['engine-registry-mirror'], ['https://a.example', 'https://b.example']);
    assert.deepEqual(engineOptionsFrom(out).RegistryMirror, ['https://a.example', 'https://b.example']);
  });

  it('keeps one value from the environment whole, and never splits command-line values', () => {
    assert.deepEqual(splitListsFromEnv(definitions, { 'engine-registry-mirror': 'https://mirror.local' })['engine-registry-mirror'], ['https://mirror.local']);
    assert.deepEqual(splitListsFromEnv(definitions, { 'engine-registry-mirror': ['https://a,b'] })['engine-registry-mirror'], ['https://a,b']);
    assert.equal(splitListsFromEnv(definitions, { 'engine-storage-driver': 'a,b' })['engine-storage-driver'], 'a,b');
  });
});
