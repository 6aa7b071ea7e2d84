import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError } from '@machine/driver-sdk';
import { FLAGS, catalogInterface, parseMetadata, stateFromFlags, withCloud } from './flags';

const machine = { name: 'm1', storePath: '/store', machineDir: '/store/machines/m1' };
const base = {
  'openstack-auth-url': 'https://keystone.example.com:5000',
  'openstack-username': 'u',
  'openstack-password': 'p',
  'openstack-tenant-name': 'demo',
  'openstack-flavor-name': 'm1.small',
  'openstack-image-name': 'ubuntu',
};

function flagError(fn: () => unknown): DriverError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DriverError, String(err));
    assert.equal(err.message.split('\n').length, 1, 'one line');
    return err;
  }
  assert.fail('expected a DriverError');
}

describe('openstack flags', () => {
  it("makes a state that opens with the reference's BaseDriver fields, in its order", () => {
    assert.deepEqual(Object.keys(stateFromFlags(base, machine, {})).slice(0, 10), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery', 'AuthUrl']);
  });

  it('has every reference flag with its environment variable and default', () => {
    const byName = new Map(FLAGS.map((f) => [f.name.replace(/^openstack-/, ''), f]));
    const reference: [string, string][] = [
      ['auth-url', 'OS_AUTH_URL'], ['insecure', 'OS_INSECURE'], ['cacert', 'OS_CACERT'], ['domain-id', 'OS_DOMAIN_ID'],
      ['domain-name', 'OS_DOMAIN_NAME'], ['username', 'OS_USERNAME'], ['password', 'OS_PASSWORD'], ['tenant-name', 'OS_TENANT_NAME'],
      ['tenant-id', 'OS_TENANT_ID'], ['region', 'OS_REGION_NAME'], ['availability-zone', 'OS_AVAILABILITY_ZONE'],
      ['endpoint-type', 'OS_ENDPOINT_TYPE'], ['flavor-id', 'OS_FLAVOR_ID'], ['flavor-name', 'OS_FLAVOR_NAME'], ['image-id', 'OS_IMAGE_ID'],
      ['image-name', 'OS_IMAGE_NAME'], ['keypair-name', 'OS_KEYPAIR_NAME'], ['private-key-file', 'OS_PRIVATE_KEY_FILE'],
      ['net-id', 'OS_NETWORK_ID'], ['net-name', 'OS_NETWORK_NAME'], ['user-data-file', 'OS_USER_DATA_FILE'], ['sec-groups', 'OS_SECURITY_GROUPS'],
      ['nova-network', 'OS_NOVA_NETWORK'], ['floatingip-pool', 'OS_FLOATINGIP_POOL'], ['ip-version', 'OS_IP_VERSION'], ['ssh-user', 'OS_SSH_USER'],
      ['ssh-port', 'OS_SSH_PORT'], ['active-timeout', 'OS_ACTIVE_TIMEOUT'], ['config-drive', 'OS_CONFIG_DRIVE'], ['metadata', 'OS_METADATA'],
      ['application-credential-id', 'OS_APPLICATION_CREDENTIAL_ID'], ['application-credential-name', 'OS_APPLICATION_CREDENTIAL_NAME'],
      ['application-credential-secret', 'OS_APPLICATION_CREDENTIAL_SECRET'], ['user-domain-id', 'OS_USER_DOMAIN_ID'], ['user-domain-name', 'OS_USER_DOMAIN_NAME'],
      ['tenant-domain-id', 'OS_PROJECT_DOMAIN_ID'], ['tenant-domain-name', 'OS_PROJECT_DOMAIN_NAME'], ['cloud', 'OS_CLOUD'],
    ];
    for (const [name, env] of reference) assert.equal(byName.get(name)?.envVar, env, name);
    for (const name of ['boot-from-volume', 'volume-size', 'volume-type', 'server-group-id', 'server-group-name']) assert.ok(byName.has(name), name);
    assert.equal(byName.get('ip-version')?.default, 4);
    assert.equal(byName.get('ssh-user')?.default, 'root');
    assert.equal(byName.get('ssh-port')?.default, 22);
    assert.equal(byName.get('active-timeout')?.default, 200);
    assert.equal(byName.get('endpoint-type')?.default, 'publicURL');
    const sensitive = FLAGS.filter((f) => f.sensitive).map((f) => f.name).sort();
    assert.deepEqual(sensitive, ['openstack-application-credential-secret', 'openstack-password']);
  });

  it('builds the state with the reference defaults', () => {
    const s = stateFromFlags(base, machine, {});
    assert.equal(s.IpVersion, 4);
    assert.equal(s.SSHUser, 'root');
    assert.equal(s.ActiveTimeout, 200);
    assert.equal(s.EndpointType, 'publicURL');
    assert.deepEqual(s.SecurityGroups, []);
    assert.equal(s.SSHKeyPath, '/store/machines/m1/id_rsa');
    assert.ok(!('FlavorId' in s), 'unset fields are left out');
  });

  it('names the flag of every bad or missing value, in one line', () => {
    const cases: [Record<string, string | number | boolean>, string][] = [
      [{ 'openstack-auth-url': '' }, 'openstack-auth-url'],
      [{ 'openstack-auth-url': 'not a url' }, 'openstack-auth-url'],
      [{ 'openstack-auth-url': 'http://k:5000/v2.0' }, 'openstack-auth-url'],
      [{ 'openstack-username': '' }, 'openstack-username'],
      [{ 'openstack-password': '' }, 'openstack-password'],
      [{ 'openstack-tenant-name': '' }, 'openstack-tenant-name'],
      [{ 'openstack-flavor-id': '2' }, 'openstack-flavor-name'],
      [{ 'openstack-flavor-name': '' }, 'openstack-flavor-name'],
      [{ 'openstack-image-id': 'x' }, 'openstack-image-name'],
      [{ 'openstack-net-id': 'a', 'openstack-net-name': 'b' }, 'openstack-net-name'],
      [{ 'openstack-keypair-name': 'k' }, 'openstack-private-key-file'],
      [{ 'openstack-private-key-file': '/k' }, 'openstack-keypair-name'],
      [{ 'openstack-ip-version': 5 }, 'openstack-ip-version'],
      [{ 'openstack-ip-version': 'four' }, 'openstack-ip-version'],
      [{ 'openstack-ssh-port': 70000 }, 'openstack-ssh-port'],
      [{ 'openstack-endpoint-type': 'privateURL' }, 'openstack-endpoint-type'],
      [{ 'openstack-metadata': 'a,b,c' }, 'openstack-metadata'],
      [{ 'openstack-volume-size': 10 }, 'openstack-boot-from-volume'],
      [{ 'openstack-volume-name': 'root', 'openstack-volume-size': 10 }, 'openstack-boot-from-volume'],
      [{ 'openstack-volume-name': 'root', 'openstack-boot-from-volume': true }, 'openstack-volume-size'],
      [{ 'openstack-volume-name': 'root', 'openstack-volume-id': 'v1', 'openstack-boot-from-volume': true, 'openstack-volume-size': 10 }, 'openstack-volume-name'],
      [{ 'openstack-application-credential-secret': 's' }, 'openstack-application-credential-id'],
      [{ 'openstack-server-group-id': 'a', 'openstack-server-group-name': 'b' }, 'openstack-server-group-name'],
      [{ 'openstack-nova-network': true }, 'openstack-sec-groups'],
    ];
    for (const [flags, flag] of cases) {
      const err = flagError(() => stateFromFlags({ ...base, ...flags }, machine, {}));
      assert.equal(err.flag, flag, `${JSON.stringify(flags)}: ${err.message}`);
      assert.match(err.message, new RegExp(`--${flag}|${flag.replace('openstack-', '')}`), err.message);
    }
  });

  it('says plainly that Keystone v2.0 is gone', () => {
    const err = flagError(() => stateFromFlags({ ...base, 'openstack-auth-url': 'http://k:5000/v2.0/' }, machine, {}));
    assert.match(err.message, /v2\.0 was removed/);
  });

  it('takes an application credential instead of a user, password and project', () => {
    const s = stateFromFlags(
      { ...base, 'openstack-username': '', 'openstack-password': '', 'openstack-tenant-name': '', 'openstack-application-credential-id': 'ac', 'openstack-application-credential-secret': 's' },
      machine,
      {},
    );
    assert.equal(s.ApplicationCredentialID, 'ac');
    const err = flagError(() => stateFromFlags({ ...base, 'openstack-application-credential-id': 'ac' }, machine, {}));
    assert.equal(err.flag, 'openstack-application-credential-secret');
  });

  it('reads the project from OS_PROJECT_NAME when the tenant flags are unset', () => {
    const s = stateFromFlags({ ...base, 'openstack-tenant-name': '' }, machine, { OS_PROJECT_NAME: 'proj' });
    assert.equal(s.TenantName, 'proj');
  });

  it('fills unset values from clouds.yaml, and flags win over it', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'os-flags-'));
    try {
      const dir = path.join(home, '.config', 'openstack');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'clouds.yaml'),
        'clouds:\n  lab:\n    auth:\n      auth_url: http://lab:5000\n      username: alice\n      project_name: research\n      user_domain_name: Lab\n    region_name: North\n    interface: internal\n',
      );
      fs.writeFileSync(path.join(dir, 'secure.yaml'), 'clouds:\n  lab:\n    auth:\n      password: from-secure\n');
      const env = { HOME: home };
      const stored = stateFromFlags({ 'openstack-cloud': 'lab', 'openstack-flavor-id': '1', 'openstack-image-id': 'i', 'openstack-region': 'South' }, machine, env);
      assert.equal(stored.Cloud, 'lab');
      assert.equal(stored.Password, undefined, 'the store keeps the cloud\'s name, not its secrets');
      assert.equal(stored.AuthUrl, undefined);
      const s = withCloud(stored, env);
      assert.equal(s.AuthUrl, 'http://lab:5000');
      assert.equal(s.Username, 'alice');
      assert.equal(s.Password, 'from-secure');
      assert.equal(s.TenantName, 'research');
      assert.equal(s.UserDomainName, 'Lab');
      assert.equal(s.EndpointType, 'internal');
      assert.equal(s.Region, 'South', 'the flag wins');
      const missing = flagError(() => stateFromFlags({ 'openstack-cloud': 'nope', 'openstack-flavor-id': '1', 'openstack-image-id': 'i' }, machine, env));
      assert.equal(missing.flag, 'openstack-cloud');
      assert.match(missing.message, /has lab/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('maps endpoint types to catalog interfaces and parses metadata', () => {
    assert.equal(catalogInterface('publicURL'), 'public');
    assert.equal(catalogInterface('internalURL'), 'internal');
    assert.equal(catalogInterface('admin'), 'admin');
    assert.deepEqual(parseMetadata('a,1,b,2'), { a: '1', b: '2' });
  });
});
