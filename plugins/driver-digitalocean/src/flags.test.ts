import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError } from '@machine/driver-sdk';
import { DEFAULT_IMAGE, FLAGS, parseApiURL, parseTags, stateFromFlags } from './flags';

const machine = { name: 'm1', storePath: '/store', machineDir: '/store/machines/m1' };
const state = (flags: Record<string, string | number | boolean>) => stateFromFlags(flags, machine, 'machine-create-abc');

function flagError(fn: () => unknown): DriverError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DriverError, String(err));
    assert.equal(err.code, 'invalid-argument');
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('expected a DriverError');
}

describe('digitalocean flags', () => {
  it("makes a state that opens with the reference's BaseDriver fields, in its order", () => {
    assert.deepEqual(Object.keys(state({})).slice(0, 10), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery', 'ApiURL']);
  });

  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'do-flags-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('gives the reference defaults, with a current image', () => {
    const s = state({});
    assert.equal(s.Region, 'nyc3');
    assert.equal(s.Size, 's-1vcpu-1gb');
    assert.equal(s.Image, DEFAULT_IMAGE);
    assert.match(s.Image, /^ubuntu-\d\d-04-x64$/);
    assert.equal(s.SSHUser, 'root');
    assert.equal(s.SSHPort, 22);
    assert.equal(s.ApiURL, 'https://api.digitalocean.com');
    assert.equal(s.CreateTimeout, 600);
    assert.equal(s.SSHKeyPath, '/store/machines/m1/id_rsa');
    assert.equal(s.CreateTag, 'machine-create-abc');
    assert.equal(s.IPv6 || s.Backups || s.PrivateNetworking || s.Monitoring || s.UsePrivateIP, false);
  });

  it('names the flag at fault in one line', () => {
    const cases: [Record<string, string | number | boolean>, string][] = [
      [{ 'digitalocean-region': 'New York' }, 'digitalocean-region'],
      [{ 'digitalocean-size': 'S 1' }, 'digitalocean-size'],
      [{ 'digitalocean-image': 'Ubuntu!' }, 'digitalocean-image'],
      [{ 'digitalocean-ssh-port': 0 }, 'digitalocean-ssh-port'],
      [{ 'digitalocean-create-timeout': 0 }, 'digitalocean-create-timeout'],
      [{ 'digitalocean-vpc-uuid': 'not-a-uuid' }, 'digitalocean-vpc-uuid'],
      [{ 'digitalocean-tags': 'ok,not ok' }, 'digitalocean-tags'],
      [{ 'digitalocean-ssh-key-fingerprint': 'zz' }, 'digitalocean-ssh-key-fingerprint'],
      [{ 'digitalocean-ssh-key-path': path.join(tmp, 'missing') }, 'digitalocean-ssh-key-path'],
      [{ 'digitalocean-userdata': path.join(tmp, 'missing') }, 'digitalocean-userdata'],
      [{ 'digitalocean-api-url': 'not a url' }, 'digitalocean-api-url'],
      [{ 'digitalocean-api-url': 'http://api.example.com' }, 'digitalocean-api-url'],
    ];
    for (const [flags, flag] of cases) assert.equal(flagError(() => state(flags)).flag, flag, JSON.stringify(flags));
  });

  it('refuses user data over 64 KiB', () => {
    const file = path.join(tmp, 'big');
    fs.writeFileSync(file, Buffer.alloc(64 * 1024 + 1, 'a'));
    assert.match(flagError(() => state({ 'digitalocean-userdata': file })).message, /64|65536/);
  });

  it('accepts plain http only on loopback', () => {
    assert.equal(parseApiURL('http://127.0.0.1:8080').port, '8080');
    assert.equal(parseApiURL('http://localhost:1/').hostname, 'localhost');
    assert.equal(parseApiURL('https://api.example.com/prefix').pathname, '/prefix');
    assert.throws(() => parseApiURL('http://10.0.0.1'));
    assert.throws(() => parseApiURL('ftp://127.0.0.1'));
  });

  it('splits tags on commas and checks each', () => {
    assert.deepEqual(parseTags('a, b:c ,d_e-f'), ['a', 'b:c', 'd_e-f']);
    assert.deepEqual(parseTags(undefined), []);
    assert.throws(() => parseTags('a,b/c'));
  });

  it('a fingerprint alone assumes ~/.ssh/id_rsa, as the reference did', () => {
    const home = process.env.HOME;
    process.env.HOME = tmp;
    try {
      const fp = 'aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99';
      assert.equal(flagError(() => state({ 'digitalocean-ssh-key-fingerprint': fp })).flag, 'digitalocean-ssh-key-path');
      fs.mkdirSync(path.join(tmp, '.ssh'), { recursive: true });
      fs.writeFileSync(path.join(tmp, '.ssh', 'id_rsa'), 'key');
      assert.equal(state({ 'digitalocean-ssh-key-fingerprint': fp }).SSHKey, path.join(tmp, '.ssh', 'id_rsa'));
    } finally {
      process.env.HOME = home;
    }
  });

  it('has one spec per flag, all prefixed and described, the token sensitive', () => {
    const names = FLAGS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const f of FLAGS) {
      assert.match(f.name, /^digitalocean-[a-z0-9-]+$/);
      assert.ok(f.description.length > 0);
    }
    assert.equal(FLAGS.find((f) => f.name === 'digitalocean-access-token')?.sensitive, true);
    assert.deepEqual(FLAGS.filter((f) => f.sensitive).map((f) => f.name), ['digitalocean-access-token']);
  });
});
