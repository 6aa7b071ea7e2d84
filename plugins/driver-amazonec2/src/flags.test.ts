import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { FLAGS, availabilityZone, endpointURL, parseOpenPort, parseTags, stateFromFlags } from './flags';

const machine = { name: 'm1', storePath: '/store', machineDir: '/store/machines/m1' };

function flagError(fn: () => unknown): DriverError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DriverError, String(err));
    return err;
  }
  assert.fail('expected a DriverError');
}

describe('amazonec2 flags', () => {
  it("makes a state that opens with the reference's BaseDriver fields, in its order", () => {
    const s = stateFromFlags({}, machine);
    assert.deepEqual(Object.keys(s).slice(0, 10), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery', 'AccessKey']);
  });

  it('gives the reference defaults when no flag is set', () => {
    const s = stateFromFlags({}, machine);
    assert.equal(s.Region, 'us-east-1');
    assert.equal(s.Zone, 'a');
    assert.equal(s.InstanceType, 't2.micro');
    assert.equal(s.RootSize, 16);
    assert.equal(s.VolumeType, 'gp2');
    assert.equal(s.DeviceName, '/dev/sda1');
    assert.equal(s.SSHUser, 'ubuntu');
    assert.equal(s.SSHPort, 22);
    assert.equal(s.SpotPrice, '0.50');
    assert.equal(s.RetryCount, 5);
    assert.deepEqual(s.SecurityGroupNames, ['docker-machine']);
    assert.equal(s.ExistingKey, false);
    assert.equal(s.SSHKeyPath, '/store/machines/m1/id_rsa');
    assert.equal(s.MachineName, 'm1');
  });

  it('takes list flags as lists or comma-separated strings', () => {
    assert.deepEqual(stateFromFlags({ 'amazonec2-security-group': ['a', 'b'] }, machine).SecurityGroupNames, ['a', 'b']);
    assert.deepEqual(stateFromFlags({ 'amazonec2-security-group': 'a,b' }, machine).SecurityGroupNames, ['a', 'b']);
    assert.deepEqual(stateFromFlags({ 'amazonec2-open-port': ['80', '53/udp'] }, machine).OpenPorts, ['80', '53/udp']);
  });

  it('marks a named key pair as existing, never to be deleted', () => {
    const s = stateFromFlags({ 'amazonec2-keypair-name': 'team', 'amazonec2-ssh-keypath': '/k' }, machine);
    assert.equal(s.KeyName, 'team');
    assert.equal(s.ExistingKey, true);
  });

  it('names the flag at fault', () => {
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-secret-key': 's' }, machine)).flag, 'amazonec2-access-key');
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-insecure-transport': true }, machine)).flag, 'amazonec2-insecure-transport');
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-root-size': 0 }, machine)).flag, 'amazonec2-root-size');
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-ssh-port': 70000 }, machine)).flag, 'amazonec2-ssh-port');
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-request-spot-instance': true, 'amazonec2-spot-price': 'cheap' }, machine)).flag, 'amazonec2-spot-price');
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-retries': -2 }, machine)).flag, 'amazonec2-retries');
    assert.equal(flagError(() => stateFromFlags({ 'amazonec2-endpoint': 'http://[bad' }, machine)).flag, 'amazonec2-endpoint');
  });

  it('parses open ports and tags', () => {
    assert.deepEqual(parseOpenPort('8080'), { port: 8080, protocol: 'tcp' });
    assert.deepEqual(parseOpenPort('53/udp'), { port: 53, protocol: 'udp' });
    assert.throws(() => parseOpenPort('0'));
    assert.throws(() => parseOpenPort('80/sctp'));
    assert.deepEqual(parseTags('a,1,b,2'), [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
    assert.deepEqual(parseTags(undefined), []);
    assert.throws(() => parseTags('a'));
  });

  it('appends a zone letter to the region and takes a full zone name as it is', () => {
    assert.equal(availabilityZone({ Region: 'eu-west-1', Zone: 'b' }), 'eu-west-1b');
    assert.equal(availabilityZone({ Region: 'eu-west-1', Zone: 'nova' }), 'nova');
  });

  it('adds a scheme to endpoints, plain HTTP only when asked', () => {
    assert.equal(endpointURL('ec2.example.com', false), 'https://ec2.example.com');
    assert.equal(endpointURL('ec2.example.com:8773', true), 'http://ec2.example.com:8773');
    assert.equal(endpointURL('https://ec2.example.com', true), 'http://ec2.example.com');
    assert.equal(endpointURL('http://127.0.0.1:4566', false), 'http://127.0.0.1:4566');
  });

  it('has one spec per reference flag, all prefixed and described', () => {
    const names = FLAGS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const f of FLAGS) {
      assert.match(f.name, /^amazonec2-[a-z0-9-]+$/);
      assert.ok(f.description.length > 0);
    }
  });
});
