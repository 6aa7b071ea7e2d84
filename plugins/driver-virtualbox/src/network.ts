// The host-only network: the CIDR rules, the choice between reusing and
// creating a host-only interface, and the DHCP server's addresses, as the
// reference driver had them.
import { DriverError } from '@machine/driver-sdk';

export interface HostOnlyNetwork {
  /** The host's address on the network, e.g. 192.168.99.1 */
  ip: string;
  prefix: number;
  netmask: string;
  network: string;
  broadcast: string;
}

const FLAG = 'virtualbox-hostonly-cidr';

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function maskToPrefix(mask: string): number {
  const n = ipToInt(mask);
  let prefix = 0;
  while (prefix < 32 && (n & (0x80000000 >>> prefix)) !== 0) prefix++;
  if (prefixToMask(prefix) !== n) throw new Error(`not a contiguous netmask: ${mask}`);
  return prefix;
}

/** Parses --virtualbox-hostonly-cidr; it must name the host's address, not the network. */
export function parseHostOnlyCIDR(cidr: string): HostOnlyNetwork {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  let ipInt: number;
  const prefix = m ? Number(m[2]) : NaN;
  try {
    if (!m || prefix < 1 || prefix > 30) throw new Error('bad');
    ipInt = ipToInt(m[1]);
  } catch {
    throw new DriverError('invalid-argument', `--virtualbox-hostonly-cidr "${cidr}" is not an IPv4 address with a prefix length from 1 to 30, such as 192.168.99.1/24`, { flag: FLAG });
  }
  const mask = prefixToMask(prefix);
  const network = (ipInt & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  if (ipInt === network) {
    throw new DriverError('invalid-argument', `--virtualbox-hostonly-cidr "${cidr}": host-only cidr must be specified with a host address, not a network address (for example ${intToIp(network + 1)}/${prefix})`, { flag: FLAG });
  }
  if (ipInt === broadcast) {
    throw new DriverError('invalid-argument', `--virtualbox-hostonly-cidr "${cidr}" is the network's broadcast address; give a host address such as ${intToIp(network + 1)}/${prefix}`, { flag: FLAG });
  }
  return { ip: m![1], prefix, netmask: intToIp(mask), network: intToIp(network), broadcast: intToIp(broadcast) };
}

export function inNetwork(ip: string, net: Pick<HostOnlyNetwork, 'network' | 'prefix'>): boolean {
  const mask = prefixToMask(net.prefix);
  return ((ipToInt(ip) & mask) >>> 0) === ipToInt(net.network);
}

export interface HostInterfaceAddress {
  name: string;
  address: string;
  prefix: number;
}

/**
 * Rejects a host-only network that overlaps a network the host is already
 * on, other than VirtualBox's own host-only interfaces (those are reused).
 */
export function checkNoCollision(net: HostOnlyNetwork, hostAddresses: HostInterfaceAddress[], hostOnlyNames: string[]): void {
  for (const a of hostAddresses) {
    if (hostOnlyNames.includes(a.name)) continue;
    const theirs = { network: intToIp((ipToInt(a.address) & prefixToMask(a.prefix)) >>> 0), prefix: a.prefix };
    if (inNetwork(a.address, net) || inNetwork(net.ip, theirs)) {
      throw new DriverError(
        'invalid-argument',
        `--virtualbox-hostonly-cidr ${net.ip}/${net.prefix} collides with the host's interface ${a.name} (${a.address}/${a.prefix}); choose a network that none of this computer's interfaces uses`,
        { flag: FLAG },
      );
    }
  }
}

/** What `list hostonlyifs` says about one interface. */
export interface HostOnlyInterface {
  name: string;
  ipAddress: string;
  networkMask: string;
  dhcp: boolean;
  status: string;
  networkName: string;
}

/** The interface that already has the network's address and mask, if any. */
export function findHostOnlyInterface(ifs: HostOnlyInterface[], net: HostOnlyNetwork): HostOnlyInterface | undefined {
  return ifs.find((i) => i.ipAddress === net.ip && i.networkMask === net.netmask);
}

/** The VirtualBox 7 host-only network whose mask and DHCP range put it on the network, if any. */
export function findHostOnlyNet<T extends { netmask: string; lowerIp: string }>(nets: T[], net: HostOnlyNetwork): T | undefined {
  return nets.find((n) => {
    try {
      return n.netmask === net.netmask && inNetwork(n.lowerIp, net);
    } catch {
      return false;
    }
  });
}

/** The name this driver gives the host-only network it makes: machine-192.168.99.0-24. */
export function hostOnlyNetName(net: HostOnlyNetwork): string {
  return `machine-${net.network}-${net.prefix}`;
}

export interface DhcpRange {
  serverIp: string;
  lowerIp: string;
  upperIp: string;
}

/**
 * The DHCP server's own address and its lease range: for a /24 or larger
 * network the server sits at .100 below the range .101-.254 (the reference
 * picked a random low address; a fixed one keeps reruns stable), for smaller
 * networks right after the host with the rest of the network as the range.
 */
export function dhcpRange(net: HostOnlyNetwork): DhcpRange {
  const network = ipToInt(net.network);
  const broadcast = ipToInt(net.broadcast);
  const host = ipToInt(net.ip);
  if (net.prefix <= 24) {
    const base = (host & 0xffffff00) >>> 0;
    let server = base + 100;
    if (server === host) server = base + 99;
    return { serverIp: intToIp(server), lowerIp: intToIp(base + 101), upperIp: intToIp(base + 254) };
  }
  let server = network + 1;
  if (server === host) server++;
  const lower = Math.max(server, host) + 1;
  if (lower > broadcast - 1) {
    throw new DriverError('invalid-argument', `--virtualbox-hostonly-cidr ${net.ip}/${net.prefix} leaves no addresses for the VMs; use a larger network`, { flag: FLAG });
  }
  return { serverIp: intToIp(server), lowerIp: intToIp(lower), upperIp: intToIp(broadcast - 1) };
}
