import { strict as assert } from 'node:assert';
import { generateSSHKeyPair } from '@machine/driver-sdk';
import { addressOf, fingerprintOf, machineState, normalizeState, type Droplet } from './driver';
import type { DOState } from './flags';

describe('digitalocean driver helpers', () => {
  it('maps droplet statuses as the reference did', () => {
    assert.equal(machineState('new'), 'Starting');
    assert.equal(machineState('active'), 'Running');
    assert.equal(machineState('off'), 'Stopped');
    assert.equal(machineState('archive'), '');
    assert.equal(machineState(undefined), '');
  });

  it('computes the MD5 fingerprint DigitalOcean shows for a key', async () => {
    const { publicKey } = await generateSSHKeyPair('x');
    const fp = fingerprintOf(publicKey);
    assert.match(fp, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    assert.equal(fingerprintOf(`${publicKey.split(' ').slice(0, 2).join(' ')} another-comment`), fp, 'the comment is not part of it');
  });

  it('picks the public or private IPv4 address', () => {
    const droplet = {
      id: 1,
      name: 'd',
      status: 'active',
      networks: { v4: [{ ip_address: '10.0.0.2', type: 'private' }, { ip_address: '192.0.2.7', type: 'public' }] },
    } as Droplet;
    assert.equal(addressOf(droplet, 'public'), '192.0.2.7');
    assert.equal(addressOf(droplet, 'private'), '10.0.0.2');
    assert.equal(addressOf({ ...droplet, networks: { v4: [] } }, 'public'), undefined);
  });

  it('reads the reference\'s stored state: zero values, no API URL, the key it added', () => {
    const s = normalizeState({ MachineName: 'm', AccessToken: 't', DropletID: 5, SSHKeyID: 9, SSHKeyFingerprint: '', IPAddress: '', SSHPort: 0 } as unknown as DOState);
    assert.equal(s.ApiURL, 'https://api.digitalocean.com');
    assert.equal(s.CreateTimeout, 600);
    assert.equal(s.SSHPort, 22);
    assert.equal(s.SSHUser, 'root');
    assert.equal(s.SSHKeyCreated, true, 'the reference added the key unless a fingerprint was given');
    assert.equal(s.IPAddress, undefined);
    const own = normalizeState({ DropletID: 5, SSHKeyID: 9, SSHKeyFingerprint: 'aa' } as unknown as DOState);
    assert.equal(own.SSHKeyCreated, false);
    const none = normalizeState({ DropletID: 0, SSHKeyID: 0 } as unknown as DOState);
    assert.equal(none.DropletID, undefined);
    assert.equal(none.SSHKeyID, undefined);
  });
});
