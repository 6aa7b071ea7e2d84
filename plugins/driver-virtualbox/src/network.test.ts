import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { checkNoCollision, dhcpRange, findHostOnlyInterface, findHostOnlyNet, hostOnlyNetName, maskToPrefix, parseHostOnlyCIDR } from './network';

function err(fn: () => unknown): DriverError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DriverError, String(e));
    return e;
  }
  assert.fail('expected a DriverError');
}

describe('virtualbox host-only network', () => {
  it('parses a host address with its prefix', () => {
    assert.deepEqual(parseHostOnlyCIDR('192.168.99.1/24'), { ip: '192.168.99.1', prefix: 24, netmask: '255.255.255.0', network: '192.168.99.0', broadcast: '192.168.99.255' });
    assert.equal(parseHostOnlyCIDR('10.1.2.3/16').netmask, '255.255.0.0');
  });

  it('refuses a network address, a broadcast address and malformed values, naming the flag', () => {
    const network = err(() => parseHostOnlyCIDR('192.168.99.0/24'));
    assert.match(network.message, /not a network address/);
    assert.match(network.message, /192\.168\.99\.1\/24/);
    assert.equal(network.flag, 'virtualbox-hostonly-cidr');
    assert.match(err(() => parseHostOnlyCIDR('192.168.99.255/24')).message, /broadcast/);
    for (const bad of ['192.168.99.1', '192.168.99.1/33', '300.1.1.1/24', 'fe80::1/64', '']) assert.equal(err(() => parseHostOnlyCIDR(bad)).flag, 'virtualbox-hostonly-cidr', bad);
  });

  it('refuses a network that collides with a host interface but not with a VirtualBox host-only one', () => {
    const net = parseHostOnlyCIDR('172.17.5.1/16');
    const e = err(() => checkNoCollision(net, [{ name: 'docker0', address: '172.17.0.1', prefix: 16 }], []));
    assert.match(e.message, /collides with the host's interface docker0 \(172\.17\.0\.1\/16\)/);
    assert.equal(e.flag, 'virtualbox-hostonly-cidr');
    // A wider host network that contains ours collides too.
    assert.throws(() => checkNoCollision(parseHostOnlyCIDR('10.9.9.1/24'), [{ name: 'eth0', address: '10.0.0.5', prefix: 8 }], []), DriverError);
    checkNoCollision(parseHostOnlyCIDR('192.168.99.1/24'), [{ name: 'vboxnet0', address: '192.168.99.1', prefix: 24 }], ['vboxnet0']);
    checkNoCollision(parseHostOnlyCIDR('192.168.99.1/24'), [{ name: 'eth0', address: '192.168.1.10', prefix: 24 }], []);
  });

  it('reuses the interface with the same address and mask', () => {
    const ifs = [
      { name: 'vboxnet0', ipAddress: '192.168.56.1', networkMask: '255.255.255.0', dhcp: true, status: 'Up', networkName: 'HostInterfaceNetworking-vboxnet0' },
      { name: 'vboxnet1', ipAddress: '192.168.99.1', networkMask: '255.255.255.0', dhcp: true, status: 'Up', networkName: 'HostInterfaceNetworking-vboxnet1' },
    ];
    assert.equal(findHostOnlyInterface(ifs, parseHostOnlyCIDR('192.168.99.1/24'))?.name, 'vboxnet1');
    assert.equal(findHostOnlyInterface(ifs, parseHostOnlyCIDR('192.168.99.1/25')), undefined);
  });

  it('finds the VirtualBox 7 host-only network on the CIDR by its mask and range, and names a new one after it', () => {
    const net = parseHostOnlyCIDR('192.168.99.1/24');
    const nets = [
      { name: 'other', netmask: '255.255.255.0', lowerIp: '192.168.56.100' },
      { name: 'wide', netmask: '255.255.0.0', lowerIp: '192.168.99.100' },
      { name: 'mine', netmask: '255.255.255.0', lowerIp: '192.168.99.101' },
    ];
    assert.equal(findHostOnlyNet(nets, net)?.name, 'mine');
    assert.equal(findHostOnlyNet(nets.slice(0, 2), net), undefined);
    assert.equal(hostOnlyNetName(net), 'machine-192.168.99.0-24');
  });

  it('places the DHCP server and its range as the reference did', () => {
    assert.deepEqual(dhcpRange(parseHostOnlyCIDR('192.168.99.1/24')), { serverIp: '192.168.99.100', lowerIp: '192.168.99.101', upperIp: '192.168.99.254' });
    assert.deepEqual(dhcpRange(parseHostOnlyCIDR('192.168.99.100/24')), { serverIp: '192.168.99.99', lowerIp: '192.168.99.101', upperIp: '192.168.99.254' });
    assert.deepEqual(dhcpRange(parseHostOnlyCIDR('10.0.0.1/28')), { serverIp: '10.0.0.2', lowerIp: '10.0.0.3', upperIp: '10.0.0.14' });
    assert.equal(err(() => dhcpRange(parseHostOnlyCIDR('10.0.0.1/30'))).flag, 'virtualbox-hostonly-cidr');
    assert.equal(maskToPrefix('255.255.240.0'), 20);
  });
});

describe('the guest address over SSH', () => {
  it('prefers the host-only network, then any address but NAT and loopback', async () => {
    const { pickGuestAddress } = await import('./driver');
    const out = '2: enp0s3    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic enp0s3\n3: enp0s8    inet 192.168.99.101/24 brd 192.168.99.255 scope global dynamic enp0s8\n';
    assert.equal(pickGuestAddress(out, '192.168.99.1/24'), '192.168.99.101');
    const bridged = '3: docker0    inet 172.17.0.1/16 scope global docker0\n4: eth1    inet 172.18.0.5/16 scope global eth1\n192.168.99.1 via 172.18.0.1 dev eth1 src 172.18.0.5 uid 0 \\    cache\n';
    assert.equal(pickGuestAddress(bridged, '192.168.99.1/24'), '172.18.0.5');
    assert.equal(pickGuestAddress('2: eth0    inet 10.0.2.15/24 scope global eth0\n192.168.99.1 via 10.0.2.2 dev eth0 src 10.0.2.15\n', '192.168.99.1/24'), '');
  });
});
