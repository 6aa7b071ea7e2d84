import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { endpointFrom, parseErrorBody, pickV3, type CatalogEntry } from './client';
import { machineState, pickAddress } from './driver';

const catalog: CatalogEntry[] = [
  {
    type: 'compute',
    name: 'nova',
    endpoints: [
      { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'https://nova-one/v2.1/' },
      { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova-one-internal/v2.1' },
      { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: 'https://nova-two/v2.1' },
    ],
  },
  { type: 'network', name: 'neutron', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'https://neutron-one' }] },
];

describe('openstack client', () => {
  it('picks v3 from Keystone\'s version documents', () => {
    const root = { versions: { values: [{ id: 'v3.14', status: 'stable', links: [{ rel: 'self', href: 'http://k:5000/v3/' }] }] } };
    assert.deepEqual(pickV3(root, 'http://k:5000'), { v3: 'http://k:5000/v3' });
    assert.deepEqual(pickV3({ version: { id: 'v3.14', status: 'stable', links: [] } }, 'http://k/identity/v3'), { v3: 'http://k/identity/v3' });
    const both = { versions: { values: [{ id: 'v2.0', status: 'deprecated' }, { id: 'v3.10', status: 'stable', links: [{ rel: 'self', href: 'http://k/v3' }] }] } };
    assert.deepEqual(pickV3(both, 'http://k'), { v3: 'http://k/v3' });
    assert.equal(pickV3({ versions: { values: [{ id: 'v2.0', status: 'stable' }] } }, 'http://k'), 'v2-only');
    assert.equal(pickV3({ something: 1 }, 'http://k'), undefined);
  });

  it('chooses the endpoint by type, region and interface', () => {
    assert.equal(endpointFrom(catalog, 'compute', { Region: 'RegionTwo', EndpointType: 'publicURL' }), 'https://nova-two/v2.1');
    assert.equal(endpointFrom(catalog, 'compute', { Region: 'RegionOne', EndpointType: 'internalURL' }), 'http://nova-one-internal/v2.1');
    assert.equal(endpointFrom(catalog, 'compute', { EndpointType: 'publicURL' }), 'https://nova-one/v2.1');
    assert.throws(() => endpointFrom(catalog, 'compute', { Region: 'Nowhere', EndpointType: 'publicURL' }), (err: DriverError) => {
      assert.equal(err.flag, 'openstack-region');
      assert.match(err.message, /regions: RegionOne, RegionTwo/);
      return true;
    });
    assert.throws(() => endpointFrom(catalog, 'image', { EndpointType: 'publicURL' }), /no image service/);
  });

  it('reads the error bodies of Nova, Neutron, Keystone and Glance', () => {
    assert.deepEqual(parseErrorBody(404, '{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}'), { type: 'itemNotFound', message: 'Instance x could not be found.' });
    assert.deepEqual(parseErrorBody(409, '{"NeutronError": {"type": "IpAddressGenerationFailure", "message": "No more IP addresses", "detail": ""}}'), {
      type: 'IpAddressGenerationFailure',
      message: 'No more IP addresses',
    });
    assert.deepEqual(parseErrorBody(401, '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}'), {
      type: 'Unauthorized',
      message: 'The request you have made requires authentication.',
    });
    assert.deepEqual(parseErrorBody(404, '404 Not Found\n\nNo image found with ID x\n\n   '), { type: 'HTTP 404', message: '404 Not Found No image found with ID x' });
  });

  it('maps Nova statuses to machine states, BUILD to Starting', () => {
    assert.equal(machineState('BUILD'), 'Starting');
    assert.equal(machineState('ACTIVE'), 'Running');
    assert.equal(machineState('SHUTOFF'), 'Stopped');
    assert.equal(machineState('PAUSED'), 'Paused');
    assert.equal(machineState('SUSPENDED'), 'Saved');
    assert.equal(machineState('ERROR'), 'Error');
    assert.equal(machineState('REBOOT'), 'Starting');
    assert.equal(machineState('WHATEVER'), '');
  });

  it('picks the address by version and type', () => {
    const server = {
      id: 's',
      addresses: {
        net: [
          { addr: 'fd00::5', version: 6, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '10.0.0.5', version: 4, 'OS-EXT-IPS:type': 'fixed' },
          { addr: '203.0.113.5', version: 4, 'OS-EXT-IPS:type': 'floating' },
        ],
        legacy: [{ addr: '192.0.2.1' }],
      },
    };
    assert.equal(pickAddress(server, 4, false), '10.0.0.5');
    assert.equal(pickAddress(server, 4, true), '203.0.113.5');
    assert.equal(pickAddress(server, 6, false), 'fd00::5');
    assert.equal(pickAddress(server, 6, true), undefined);
    assert.equal(pickAddress({ id: 's', addresses: { legacy: [{ addr: '192.0.2.1' }] } }, 4, false), '192.0.2.1', 'no version or type: fixed IPv4');
  });
});
