// The create flags: Docker Machine's virtualbox set with its defaults and
// environment variables, plus the cloud-image flags, and the translation of
// flag values into the driver state.
import * as os from 'node:os';
import * as path from 'node:path';
import { baseDriverState, DriverError, type BaseDriverState, type FlagSpec, type FlagValues, type MachineRef } from '@machine/driver-sdk';
import { flagReader } from '@machine/driver-sdk/flag-values';
import { parseHostOnlyCIDR } from './network';

export const DOCKER_PORT = 2376;
export const SSH_USER = 'docker';
export const DEFAULT_HOSTONLY_CIDR = '192.168.99.1/24';
/** Ubuntu 24.04 LTS, as a VMDK that VirtualBox clones directly; SHA256SUMS sits beside it. */
export const DEFAULT_IMAGE_URL = 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.vmdk';

export const UI_TYPES = ['gui', 'sdl', 'headless', 'separate'];
export const NIC_TYPES = ['Am79C970A', 'Am79C973', '82540EM', '82543GC', '82545EM', 'virtio'];
export const PROMISC_MODES = ['deny', 'allow-vms', 'allow-all'];

const f = (name: string, type: FlagSpec['type'], description: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name: `virtualbox-${name}`,
  type,
  description,
  ...extra,
});

export const FLAGS: FlagSpec[] = [
  f('memory', 'int', 'Memory of the VM in MB', { default: 1024, envVar: 'VIRTUALBOX_MEMORY_SIZE' }),
  f('cpu-count', 'int', 'Number of CPUs (-1: as many as the host has, up to 32)', { default: 1, envVar: 'VIRTUALBOX_CPU_COUNT' }),
  f('disk-size', 'int', 'Disk size in MB', { default: 20000, envVar: 'VIRTUALBOX_DISK_SIZE' }),
  f('image-url', 'string', 'Cloud image (VMDK, VDI, VHD, qcow2 or raw) booted with a cloud-init seed (default: Ubuntu 24.04 LTS)', { envVar: 'VIRTUALBOX_IMAGE_URL' }),
  f('image-checksum', 'string', 'SHA-256 of the image, as HEX or sha256:HEX (default: looked up in SHA256SUMS beside the image)', { envVar: 'VIRTUALBOX_IMAGE_CHECKSUM' }),
  f('boot2docker-url', 'string', 'A boot2docker ISO to boot instead of a cloud image', { envVar: 'VIRTUALBOX_BOOT2DOCKER_URL' }),
  f('import-boot2docker-vm', 'string', 'Name of a boot2docker VM whose disk to copy', { envVar: 'VIRTUALBOX_BOOT2DOCKER_IMPORT_VM' }),
  f('host-dns-resolver', 'bool', 'Use the host DNS resolver', { default: false, envVar: 'VIRTUALBOX_HOST_DNS_RESOLVER' }),
  f('nat-nictype', 'string', 'NIC type of the NAT network adapter', { default: '82540EM', envVar: 'VIRTUALBOX_NAT_NICTYPE' }),
  f('hostonly-cidr', 'string', 'Host address and prefix of the host-only network', { default: DEFAULT_HOSTONLY_CIDR, envVar: 'VIRTUALBOX_HOSTONLY_CIDR' }),
  f('hostonly-nictype', 'string', 'NIC type of the host-only network adapter', { default: '82540EM', envVar: 'VIRTUALBOX_HOSTONLY_NIC_TYPE' }),
  f('hostonly-nicpromisc', 'string', 'Promiscuous mode of the host-only adapter (deny, allow-vms, allow-all)', { default: 'deny', envVar: 'VIRTUALBOX_HOSTONLY_NIC_PROMISC' }),
  f('ui-type', 'string', 'How to show the VM: gui, sdl, headless or separate', { default: 'headless', envVar: 'VIRTUALBOX_UI_TYPE' }),
  f('hostonly-no-dhcp', 'bool', 'Disable the host-only network\'s DHCP server', { default: false, envVar: 'VIRTUALBOX_HOSTONLY_NO_DHCP' }),
  f('no-share', 'bool', 'Do not share the home directory with the VM', { default: false, envVar: 'VIRTUALBOX_NO_SHARE' }),
  f('no-dns-proxy', 'bool', 'Do not proxy DNS requests through the host', { default: false, envVar: 'VIRTUALBOX_NO_DNS_PROXY' }),
  f('no-vtx-check', 'bool', 'Skip the check for hardware virtualization before start', { default: false, envVar: 'VIRTUALBOX_NO_VTX_CHECK' }),
  f('share-folder', 'string', 'Folder to share with the VM, as HOSTDIR:NAME', { envVar: 'VIRTUALBOX_SHARE_FOLDER' }),
];

/**
 * The driver state, as the host stores it under "Driver" in config.json.
 * Field names and order are the reference driver's, so its stores load
 * unchanged and inspect prints the same; SSHPort is the host port of the NAT
 * rule that forwards to the VM's SSH, 0 before the first start. ImageURL,
 * ImageChecksum, HostOnlyInterface and VMCreated are additions.
 */
export type VBoxState = BaseDriverState & {
  CPU: number;
  Memory: number;
  DiskSize: number;
  NatNicType: string;
  Boot2DockerURL: string;
  Boot2DockerImportVM: string;
  HostDNSResolver: boolean;
  HostOnlyCIDR: string;
  HostOnlyNicType: string;
  HostOnlyPromiscMode: string;
  UIType: string;
  HostOnlyNoDHCP: boolean;
  NoShare: boolean;
  DNSProxy: boolean;
  NoVTXCheck: boolean;
  ShareFolder: string;
  ImageURL: string;
  ImageChecksum: string;
  /** The host-only interface the VM's second NIC is on, once started. */
  HostOnlyInterface: string;
  /** True once createvm registered the VM, so remove knows there is something to delete. */
  VMCreated: boolean;
};

function oneOf(value: string, allowed: string[], name: string): string {
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!match) {
    throw new DriverError('invalid-argument', `--virtualbox-${name} "${value}" is not one of ${allowed.join(', ')}`, { flag: `virtualbox-${name}` });
  }
  return match;
}

/** The reference's rule: -1 means every host CPU; never more than 32. */
export function cpuCount(requested: number, hostCpus = os.cpus().length): number {
  const n = requested === -1 ? hostCpus : requested;
  return Math.min(Math.max(n, 1), 32);
}

/** The checksum flag as lowercase hex, or "" when unset. */
export function normalizeChecksum(value: string | undefined): string {
  if (!value) return '';
  const hex = value.replace(/^sha256:/i, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new DriverError('invalid-argument', `--virtualbox-image-checksum "${value}" is not a SHA-256 digest (64 hex digits, optionally prefixed sha256:)`, { flag: 'virtualbox-image-checksum' });
  }
  return hex;
}

function checkURL(value: string, name: string): void {
  if (/^(https?|file):\/\//i.test(value)) {
    try {
      new URL(value);
      return;
    } catch {
      // falls through to the error
    }
  } else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^[a-z]:[\\/]/i.test(value)) {
    return; // a local path
  }
  throw new DriverError('invalid-argument', `--virtualbox-${name} "${value}" is neither an http(s) or file URL nor a local path`, { flag: `virtualbox-${name}` });
}

/** Flag values → initial driver state. Checks what can be checked offline. */
export function stateFromFlags(flags: FlagValues, machine: MachineRef): VBoxState {
  const f = flagReader(flags, 'virtualbox');
  const cpu = f.int('cpu-count', 1);
  const state: VBoxState = {
    // The core hands a driver only its own flags (and swarm-mode), so the Swarm fields stay empty, as in every driver here.
    ...baseDriverState(machine, { SSHUser: SSH_USER, SSHKeyPath: path.join(machine.machineDir, 'id_rsa') }),
    CPU: cpu,
    Memory: f.int('memory', 1024),
    DiskSize: f.int('disk-size', 20000),
    NatNicType: oneOf(f.string('nat-nictype') ?? '82540EM', NIC_TYPES, 'nat-nictype'),
    Boot2DockerURL: f.string('boot2docker-url') ?? '',
    Boot2DockerImportVM: f.string('import-boot2docker-vm') ?? '',
    HostDNSResolver: f.bool('host-dns-resolver') ?? false,
    HostOnlyCIDR: f.string('hostonly-cidr') ?? DEFAULT_HOSTONLY_CIDR,
    HostOnlyNicType: oneOf(f.string('hostonly-nictype') ?? '82540EM', NIC_TYPES, 'hostonly-nictype'),
    HostOnlyPromiscMode: oneOf(f.string('hostonly-nicpromisc') ?? 'deny', PROMISC_MODES, 'hostonly-nicpromisc'),
    UIType: oneOf(f.string('ui-type') ?? 'headless', UI_TYPES, 'ui-type'),
    HostOnlyNoDHCP: f.bool('hostonly-no-dhcp') ?? false,
    NoShare: f.bool('no-share') ?? false,
    DNSProxy: !(f.bool('no-dns-proxy') ?? false),
    NoVTXCheck: f.bool('no-vtx-check') ?? false,
    ShareFolder: f.string('share-folder') ?? '',
    ImageURL: f.string('image-url') ?? '',
    ImageChecksum: normalizeChecksum(f.string('image-checksum')),
    HostOnlyInterface: '',
    VMCreated: false,
  };

  if (cpu !== -1 && cpu < 1) {
    throw new DriverError('invalid-argument', '--virtualbox-cpu-count must be -1 (every host CPU) or at least 1', { flag: 'virtualbox-cpu-count' });
  }
  if (state.Memory < 128) {
    throw new DriverError('invalid-argument', `--virtualbox-memory must be at least 128 (MB), not ${state.Memory}`, { flag: 'virtualbox-memory' });
  }
  if (state.DiskSize < 1024) {
    throw new DriverError('invalid-argument', `--virtualbox-disk-size must be at least 1024 (MB), not ${state.DiskSize}`, { flag: 'virtualbox-disk-size' });
  }
  if (state.ImageURL && state.Boot2DockerURL) {
    throw new DriverError('invalid-argument', '--virtualbox-image-url and --virtualbox-boot2docker-url choose different guests: give one of them', { flag: 'virtualbox-boot2docker-url' });
  }
  if (state.ImageChecksum && state.Boot2DockerURL) {
    throw new DriverError('invalid-argument', '--virtualbox-image-checksum applies to --virtualbox-image-url, not to a boot2docker ISO', { flag: 'virtualbox-image-checksum' });
  }
  if (state.Boot2DockerImportVM && !state.Boot2DockerURL) {
    throw new DriverError('invalid-argument', '--virtualbox-import-boot2docker-vm needs --virtualbox-boot2docker-url: the ISO to boot the copied disk with', { flag: 'virtualbox-boot2docker-url' });
  }
  if (state.ImageURL) checkURL(state.ImageURL, 'image-url');
  if (state.Boot2DockerURL) checkURL(state.Boot2DockerURL, 'boot2docker-url');
  if (state.ShareFolder && !/^.+:[^:\\/]+$/.test(state.ShareFolder)) {
    throw new DriverError('invalid-argument', `--virtualbox-share-folder "${state.ShareFolder}" is not HOSTDIR:NAME`, { flag: 'virtualbox-share-folder' });
  }
  parseHostOnlyCIDR(state.HostOnlyCIDR);
  return state;
}

/** The guest image the VM boots: a cloud image unless a boot2docker ISO was asked for. */
export function usesBoot2Docker(state: Pick<VBoxState, 'Boot2DockerURL' | 'Boot2DockerImportVM'>): boolean {
  return state.Boot2DockerURL !== '' || state.Boot2DockerImportVM !== '';
}
