// The virtualbox driver: Docker Machine's VirtualBox behaviour through
// VBoxManage, booting a cloud image with a cloud-init seed by default (or a
// boot2docker ISO), with rollback of everything create registers.
import { setTimeout as delay } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError, generateSSHKeyPair, publicKeyFromPrivate, writeSSHKeyPair, type Driver, type DriverContext, type DriverInfo } from '@machine/driver-sdk';
import type { Description, FlagSpec, FlagValues, JsonObject, MachineStateName, SSHInfo } from '@machine/driver-sdk';
import { boot2dockerUserData, imageFormat } from './disk';
import { fetchImage } from './download';
import { DEFAULT_IMAGE_URL, DOCKER_PORT, FLAGS, SSH_USER, cpuCount, stateFromFlags, usesBoot2Docker, type VBoxState } from './flags';
import { checkNoCollision, dhcpRange, findHostOnlyInterface, findHostOnlyNet, hostOnlyNetName, inNetwork, parseHostOnlyCIDR, type HostInterfaceAddress, type HostOnlyNetwork } from './network';
import { buildSeedIso } from './seed-iso';
import {
  VBoxManage,
  VBoxManageError,
  checkVersion,
  findVBoxManage,
  hardwareVirtualization,
  hardwareVirtualizationMissing,
  noHostOnlyAdapters,
  parseHostOnlyNets,
  leaseFor,
  parseCreatedInterface,
  parseDhcpServers,
  parseGuestProperty,
  parseHostOnlyIfs,
  parseMachineReadable,
  parseVersion,
  summarizeStderr,
  vboxUserHome,
  type HostOnlyNet,
  type VBoxVersion,
} from './vboxmanage';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

export const IP_PROPERTY = '/VirtualBox/GuestInfo/Net/1/V4/IP';
const STORAGE_CONTROLLER = 'SATA';

/** VMState of `showvminfo --machinereadable` → the machine state. */
export function machineState(vmState: string | undefined): MachineStateName {
  switch (vmState) {
    case 'running':
      return 'Running';
    case 'paused':
      return 'Paused';
    case 'saved':
      return 'Saved';
    case 'poweroff':
    case 'aborted':
      return 'Stopped';
    case 'stopping':
    case 'saving':
      return 'Stopping';
    case 'starting':
    case 'restoring':
      return 'Starting';
    case 'gurumeditation':
    case 'aborted-saved':
      return 'Error';
    default:
      return vmState ? 'Error' : '';
  }
}

/** Timings, shortened by the tests through the environment. */
function timing() {
  const num = (name: string, fallback: number) => {
    const v = Number(process.env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    pollMs: num('MACHINE_VIRTUALBOX_POLL_MS', 1000),
    stopTimeoutMs: num('MACHINE_VIRTUALBOX_STOP_TIMEOUT_S', 120) * 1000,
    sshTimeoutMs: num('MACHINE_VIRTUALBOX_SSH_TIMEOUT_S', 300) * 1000,
    ipTimeoutMs: num('MACHINE_VIRTUALBOX_IP_TIMEOUT_S', 120) * 1000,
  };
}

/** Waits `ms`, or less when aborted: the caller checks the signal next. */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);

function checkAbort(ctx: DriverContext, what: string): void {
  if (ctx.signal.aborted) throw new DriverError('cancelled', `cancelled while ${what}`);
}

/** The machine's folders and files. */
function files(ctx: DriverContext) {
  const dir = ctx.machine.machineDir;
  return {
    dir,
    key: path.join(dir, 'id_rsa'),
    seed: path.join(dir, 'seed.iso'),
    boot2docker: path.join(dir, 'boot2docker.iso'),
    vmdk: path.join(dir, 'disk.vmdk'),
    vdi: path.join(dir, 'disk.vdi'),
    cache: path.join(ctx.machine.storePath, 'cache', 'virtualbox'),
  };
}

/** The reference's default share: the user folders of the host. */
export function defaultShare(platform: NodeJS.Platform = process.platform): { hostPath: string; name: string } | undefined {
  if (platform === 'darwin') return { hostPath: '/Users', name: 'Users' };
  if (platform === 'win32') return { hostPath: 'C:\\Users', name: 'c/Users' };
  if (platform === 'linux') return { hostPath: '/home', name: 'hosthome' };
  return undefined;
}

function hostAddresses(): HostInterfaceAddress[] {
  const out: HostInterfaceAddress[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || !a.cidr) continue;
      out.push({ name, address: a.address, prefix: Number(a.cidr.split('/')[1]) });
    }
  }
  return out;
}

/** Makes any stored state safe to use, the reference's stores included (they lack the additions). */
export function normalizeState(stored: Partial<VBoxState>, machineName: string): VBoxState & { VMName: string } {
  const s = { ...stored } as VBoxState;
  s.HostOnlyCIDR ||= '192.168.99.1/24';
  s.SSHUser ||= SSH_USER;
  s.SSHPort ??= 0;
  s.IPAddress ??= '';
  s.HostOnlyInterface ??= '';
  s.ImageURL ??= '';
  s.ImageChecksum ??= '';
  s.Boot2DockerURL ??= '';
  s.Boot2DockerImportVM ??= '';
  s.UIType ||= 'headless';
  // A reference store has a VM whenever it has a machine name.
  if (s.VMCreated === undefined) s.VMCreated = !!s.MachineName;
  return { ...s, VMName: s.MachineName || machineName };
}

type State = ReturnType<typeof normalizeState>;

export class VirtualBoxDriver implements Driver<VBoxState> {
  readonly info: DriverInfo = {
    name: 'virtualbox',
    version: VERSION,
    description: 'Oracle VirtualBox virtual machines',
    stateVersion: 1,
    capabilities: ['cancel-create'],
  };

  private vbm?: VBoxManage;
  private version?: VBoxVersion;

  schema(): FlagSpec[] {
    return FLAGS;
  }

  configure(ctx: DriverContext, flags: FlagValues): VBoxState {
    return stateFromFlags(flags, ctx.machine);
  }

  upgradeState(ctx: DriverContext, old: JsonObject, _fromVersion: number): VBoxState {
    const { VMName: _name, ...s } = normalizeState({ ...stateFromFlags({}, ctx.machine), ...(old as Partial<VBoxState>) }, ctx.machine.name);
    return s;
  }

  /** VBoxManage, found and version-checked once per driver process. */
  private async vboxManage(ctx: DriverContext): Promise<VBoxManage> {
    if (this.vbm) return this.vbm;
    const executable = findVBoxManage();
    const vbm = new VBoxManage(executable, ctx.log);
    const out = await vbm.out(['--version']);
    const version = parseVersion(out);
    if (!version) throw new DriverError('failed-precondition', `${executable} --version printed "${out.trim()}", which is not a VirtualBox version`);
    const warning = checkVersion(version);
    if (warning) ctx.warn(warning);
    this.vbm = vbm;
    this.version = version;
    return vbm;
  }

  /**
   * Refuses a host whose CPU offers VirtualBox no VT-x/AMD-V (off in the
   * firmware, or taken by another hypervisor), as VirtualBox reports it:
   * without it, 64-bit guests do not boot.
   */
  private async checkHardwareVirtualization(ctx: DriverContext, vbm: VBoxManage): Promise<void> {
    const supported = hardwareVirtualization(await vbm.out(['list', 'hostinfo']));
    if (supported === undefined) {
      ctx.log.debug('VBoxManage list hostinfo does not say whether the CPU supports hardware virtualization; not checked');
      return;
    }
    if (!supported) {
      throw new DriverError('failed-precondition', 'VirtualBox reports that this computer\'s CPU offers no hardware virtualization (VT-x/AMD-V): enable it in the BIOS/UEFI settings, or pass --virtualbox-no-vtx-check to try anyway', {
        flag: 'virtualbox-no-vtx-check',
        detail: 'VBoxManage list hostinfo: "Processor supports HW virtualization: no". Another hypervisor (Hyper-V, WSL 2, KVM) holding VT-x has the same effect.',
      });
    }
  }

  /** Whether this VirtualBox has host-only networks (`hostonlynet`, 7.0 and later). */
  private hasHostOnlyNetworks(): boolean {
    return (this.version?.major ?? 0) >= 7;
  }

  /**
   * The host-only interfaces and networks, after checking that the CIDR
   * collides with no other interface of this computer. A host-only network
   * already on the CIDR puts the host's address on an interface of its own
   * (bridge100 on macOS): that one is not a collision.
   */
  private async hostOnlyTopology(vbm: VBoxManage, network: HostOnlyNetwork) {
    const ifs = parseHostOnlyIfs(await vbm.out(['list', 'hostonlyifs']));
    const nets = this.hasHostOnlyNetworks() ? parseHostOnlyNets(await vbm.out(['list', 'hostonlynets'])) : [];
    const existingNet = findHostOnlyNet(nets, network);
    const others = hostAddresses().filter((a) => !(existingNet && a.address === network.ip));
    checkNoCollision(network, others, ifs.map((i) => i.name));
    return { ifs, nets, existingNet };
  }

  async preCreateCheck(ctx: DriverContext, stored: VBoxState): Promise<void> {
    const s = normalizeState(stored, ctx.machine.name);
    const vbm = await this.vboxManage(ctx);
    if (!s.NoVTXCheck) await this.checkHardwareVirtualization(ctx, vbm);
    await this.hostOnlyTopology(vbm, parseHostOnlyCIDR(s.HostOnlyCIDR));
    if (await this.vmInfo(vbm, s.VMName)) {
      throw new DriverError('already-exists', `VirtualBox already has a VM named ${s.VMName}: remove it or choose another machine name`);
    }
    if (s.Boot2DockerImportVM && !(await this.vmInfo(vbm, s.Boot2DockerImportVM))) {
      throw new DriverError('invalid-argument', `--virtualbox-import-boot2docker-vm: VirtualBox has no VM named ${s.Boot2DockerImportVM}`, { flag: 'virtualbox-import-boot2docker-vm' });
    }
  }

  async create(ctx: DriverContext, initial: VBoxState): Promise<VBoxState> {
    const s = normalizeState(initial, ctx.machine.name);
    const vbm = await this.vboxManage(ctx);
    const f = files(ctx);
    let disk = '';
    try {
      await fs.mkdir(f.dir, { recursive: true });
      const boot2docker = usesBoot2Docker(s);
      const publicKey = await this.setUpKey(ctx, s);
      checkAbort(ctx, 'preparing the machine');

      let dvd: string;
      if (boot2docker) {
        dvd = f.boot2docker;
        disk = f.vmdk;
        await this.prepareBoot2Docker(ctx, vbm, s, publicKey, disk);
      } else {
        dvd = f.seed;
        await fs.writeFile(f.seed, buildSeedIso({ hostname: s.VMName, instanceId: randomUUID(), user: SSH_USER, publicKey }));
        disk = await this.prepareCloudDisk(ctx, vbm, s);
      }
      checkAbort(ctx, 'preparing the disk');

      ctx.progress(`Creating VirtualBox VM ${s.VMName}`);
      await vbm.run(['createvm', '--basefolder', f.dir, '--name', s.VMName, '--register']);
      s.VMCreated = true;
      await vbm.run([
        'modifyvm', s.VMName,
        '--firmware', 'bios',
        '--bioslogofadein', 'off', '--bioslogofadeout', 'off', '--bioslogodisplaytime', '0', '--biosbootmenu', 'disabled',
        '--ostype', boot2docker ? 'Linux26_64' : 'Ubuntu_64',
        '--cpus', String(cpuCount(s.CPU)),
        '--memory', String(s.Memory),
        '--acpi', 'on', '--ioapic', 'on', '--rtcuseutc', 'on',
        '--natdnshostresolver1', s.HostDNSResolver ? 'on' : 'off',
        '--natdnsproxy1', s.DNSProxy ? 'on' : 'off',
        '--cpuhotplug', 'off', '--pae', 'on', '--hpet', 'on', '--hwvirtex', 'on', '--nestedpaging', 'on', '--largepages', 'on', '--vtxvpid', 'on',
        '--accelerate3d', 'off',
        '--boot1', boot2docker ? 'dvd' : 'disk',
        '--boot2', boot2docker ? 'disk' : 'dvd',
      ]);
      await vbm.run(['modifyvm', s.VMName, '--nic1', 'nat', '--nictype1', s.NatNicType, '--cableconnected1', 'on']);
      await vbm.run(['storagectl', s.VMName, '--name', STORAGE_CONTROLLER, '--add', 'sata', '--hostiocache', 'on']);
      await vbm.run(['storageattach', s.VMName, '--storagectl', STORAGE_CONTROLLER, '--port', '0', '--device', '0', '--type', 'dvddrive', '--medium', dvd]);
      await vbm.run(['storageattach', s.VMName, '--storagectl', STORAGE_CONTROLLER, '--port', '1', '--device', '0', '--type', 'hdd', '--medium', disk]);
      disk = ''; // attached: unregistervm --delete takes it from here
      await vbm.run(['guestproperty', 'set', s.VMName, '/VirtualBox/GuestAdd/SharedFolders/MountPrefix', '/']);
      await vbm.run(['guestproperty', 'set', s.VMName, '/VirtualBox/GuestAdd/SharedFolders/MountDir', '/']);
      await this.addShare(vbm, s);
      checkAbort(ctx, 'creating the VM');

      const started = await this.startVM(ctx, vbm, s);
      const { VMName: _name, ...out } = started;
      return out;
    } catch (err) {
      const failure = translate(err, 'create the machine');
      await this.rollback(ctx, vbm, s, disk);
      throw failure;
    }
  }

  async start(ctx: DriverContext, stored: VBoxState): Promise<VBoxState> {
    const s = normalizeState(stored, ctx.machine.name);
    const vbm = await this.vboxManage(ctx);
    try {
      const { VMName: _name, ...out } = await this.startVM(ctx, vbm, s);
      return out;
    } catch (err) {
      throw translate(err, 'start the machine');
    }
  }

  async stop(ctx: DriverContext, stored: VBoxState): Promise<VBoxState> {
    const s = normalizeState(stored, ctx.machine.name);
    const vbm = await this.vboxManage(ctx);
    try {
      await this.stopVM(ctx, vbm, s);
    } catch (err) {
      throw translate(err, 'stop the machine');
    }
    const { VMName: _name, ...out } = s;
    return { ...out, IPAddress: '' };
  }

  async kill(ctx: DriverContext, stored: VBoxState): Promise<VBoxState> {
    const s = normalizeState(stored, ctx.machine.name);
    const vbm = await this.vboxManage(ctx);
    try {
      const info = await this.requireVM(vbm, s);
      if (['running', 'paused', 'stuck', 'starting'].includes(info.get('VMState') ?? '')) await vbm.run(['controlvm', s.VMName, 'poweroff']);
    } catch (err) {
      throw translate(err, 'kill the machine');
    }
    const { VMName: _name, ...out } = s;
    return { ...out, IPAddress: '' };
  }

  async restart(ctx: DriverContext, stored: VBoxState): Promise<VBoxState> {
    const s = normalizeState(stored, ctx.machine.name);
    const vbm = await this.vboxManage(ctx);
    try {
      await this.stopVM(ctx, vbm, s);
      const { VMName: _name, ...out } = await this.startVM(ctx, vbm, { ...s, IPAddress: '' });
      return out;
    } catch (err) {
      throw translate(err, 'restart the machine');
    }
  }

  async remove(ctx: DriverContext, stored: VBoxState): Promise<void> {
    const s = normalizeState(stored, ctx.machine.name);
    if (!s.VMCreated && !(await this.leftByInterruptedCreate(ctx, s))) return;
    const vbm = await this.vboxManage(ctx);
    try {
      await this.removeVM(ctx, vbm, s);
      // unregistervm --delete takes the disks attached to the VM; a create
      // killed before it attached its disk leaves one registered on its own.
      for (const disk of await this.disksInMachineFolder(ctx, vbm)) {
        await vbm.run(['closemedium', 'disk', disk, '--delete'], { allowFailure: true });
      }
    } catch (err) {
      throw translate(err, 'remove the machine');
    }
  }

  async getState(ctx: DriverContext, stored: VBoxState): Promise<MachineStateName> {
    const s = normalizeState(stored, ctx.machine.name);
    if (!s.VMCreated) return 'Not Found';
    const vbm = await this.vboxManage(ctx);
    const info = await this.vmInfo(vbm, s.VMName);
    return info ? machineState(info.get('VMState')) : 'Not Found';
  }

  async getIP(ctx: DriverContext, stored: VBoxState): Promise<string> {
    const s = normalizeState(stored, ctx.machine.name);
    if (!s.VMCreated) throw new DriverError('not-found', `the machine ${ctx.machine.name} has no VirtualBox VM`);
    const vbm = await this.vboxManage(ctx);
    const info = await this.requireVM(vbm, s);
    if (info.get('VMState') !== 'running') throw new DriverError('failed-precondition', `the VM ${s.VMName} is not running (state: ${info.get('VMState') ?? 'unknown'}); start the machine first`);
    const ip = await this.readIP(vbm, s, info, files(ctx).key);
    if (!ip) throw new DriverError('unavailable', `the VM ${s.VMName} has not reported an IP address on its host-only network yet`);
    return ip;
  }

  async getURL(ctx: DriverContext, stored: VBoxState): Promise<string> {
    return (await this.describe(ctx, stored)).url;
  }

  /** State, IP and URL from one showvminfo and one IP look-up, for `ls`. */
  async describe(ctx: DriverContext, stored: VBoxState): Promise<Description> {
    const s = normalizeState(stored, ctx.machine.name);
    if (!s.VMCreated) return { state: 'Not Found', ip: '', url: '' };
    try {
      const vbm = await this.vboxManage(ctx);
      const info = await this.vmInfo(vbm, s.VMName);
      if (!info) return { state: 'Not Found', ip: '', url: '', stateError: `VirtualBox has no VM named ${s.VMName}` };
      const state = machineState(info.get('VMState'));
      if (state !== 'Running') return { state, ip: '', url: '' };
      const ip = await this.readIP(vbm, s, info, files(ctx).key);
      return { state, ip, url: ip ? `tcp://${ip}:${DOCKER_PORT}` : '', ipError: ip ? undefined : 'no IP address reported yet' };
    } catch (err) {
      return { state: 'Error', ip: '', url: '', stateError: err instanceof Error ? err.message : String(err) };
    }
  }

  async getSSHInfo(ctx: DriverContext, stored: VBoxState): Promise<SSHInfo> {
    const s = normalizeState(stored, ctx.machine.name);
    if (!s.SSHPort) throw new DriverError('failed-precondition', `the machine ${ctx.machine.name} has no SSH port forward yet; start it first`);
    return { host: '127.0.0.1', port: s.SSHPort, user: s.SSHUser, keyPath: files(ctx).key };
  }

  // ---- create steps ----

  private async setUpKey(ctx: DriverContext, s: State): Promise<string> {
    const key = files(ctx).key;
    if (s.Boot2DockerImportVM) {
      // The imported VM's disk already trusts boot2docker's own key.
      const imported = path.join(os.homedir(), '.ssh', 'id_boot2docker');
      try {
        await fs.copyFile(imported, key);
        await fs.chmod(key, 0o600);
      } catch (err) {
        throw new DriverError('invalid-argument', `cannot copy ${imported} for the imported VM: ${(err as Error).message}`, { flag: 'virtualbox-import-boot2docker-vm' });
      }
      const publicKey = publicKeyFromPrivate(await fs.readFile(key, 'utf8'));
      await fs.writeFile(`${key}.pub`, `${publicKey}\n`);
      return publicKey;
    }
    const pair = await generateSSHKeyPair(`machine-${ctx.machine.name}`);
    await writeSSHKeyPair(key, pair);
    return pair.publicKey;
  }

  private async prepareBoot2Docker(ctx: DriverContext, vbm: VBoxManage, s: State, publicKey: string, disk: string): Promise<void> {
    const f = files(ctx);
    if (s.Boot2DockerImportVM) {
      const info = await this.requireVM(vbm, { ...s, VMName: s.Boot2DockerImportVM });
      const source = info.get(`${STORAGE_CONTROLLER}-1-0`);
      if (!source || source === 'none') throw new DriverError('invalid-argument', `the VM ${s.Boot2DockerImportVM} has no disk on ${STORAGE_CONTROLLER} port 1`, { flag: 'virtualbox-import-boot2docker-vm' });
      if (info.get('VMState') === 'running') await vbm.run(['controlvm', s.Boot2DockerImportVM, 'poweroff']);
      ctx.progress(`Copying the disk of ${s.Boot2DockerImportVM}`);
      await vbm.run(['clonemedium', 'disk', source, disk, '--format', 'VMDK']);
    } else {
      ctx.progress('Creating the disk with boot2docker\'s user data');
      const userData = await boot2dockerUserData(publicKey);
      // convertfromraw reads that many bytes from stdin; what the tar does not fill reads as zeros.
      await vbm.run(['convertfromraw', 'stdin', disk, String(s.DiskSize * 1024 * 1024), '--format', 'VMDK'], { stdin: userData });
    }
    const iso = await fetchImage({
      url: s.Boot2DockerURL,
      checksum: '',
      cacheDir: f.cache,
      flag: 'virtualbox-boot2docker-url',
      signal: ctx.signal,
      progress: (m) => ctx.progress(m),
      warn: (m, d) => ctx.log.warn(`${m}${d ? ` ${d}` : ''}`),
    });
    if (path.resolve(iso) !== path.resolve(f.boot2docker)) await fs.copyFile(iso, f.boot2docker);
  }

  /** The cloud image, cached, as a resizable VDI in the machine folder. */
  private async prepareCloudDisk(ctx: DriverContext, vbm: VBoxManage, s: State): Promise<string> {
    const f = files(ctx);
    const url = s.ImageURL || DEFAULT_IMAGE_URL;
    const image = await fetchImage({
      url,
      checksum: s.ImageChecksum,
      cacheDir: f.cache,
      flag: 'virtualbox-image-url',
      signal: ctx.signal,
      progress: (m) => ctx.progress(m),
      warn: (m, d) => ctx.warn(m, d),
    });
    checkAbort(ctx, 'downloading the image');
    const format = await imageFormat(image);
    ctx.progress(`Creating the disk from ${path.basename(image)} (${format})`);
    if (format === 'RAW') await vbm.run(['convertfromraw', image, f.vdi, '--format', 'VDI']);
    else await vbm.run(['clonemedium', 'disk', image, f.vdi, '--format', 'VDI']);
    // Only VDI and VHD disks can grow; cloud images are small, the machine wants --virtualbox-disk-size.
    await vbm.run(['modifymedium', 'disk', f.vdi, '--resize', String(s.DiskSize)]);
    return f.vdi;
  }

  private async addShare(vbm: VBoxManage, s: State): Promise<void> {
    if (s.NoShare) return;
    let share = defaultShare();
    if (s.ShareFolder) {
      const at = s.ShareFolder.lastIndexOf(':');
      share = { hostPath: s.ShareFolder.slice(0, at), name: s.ShareFolder.slice(at + 1) };
    }
    if (!share) return;
    try {
      if (!(await fs.stat(share.hostPath)).isDirectory()) return;
    } catch {
      return; // nothing to share
    }
    await vbm.run(['sharedfolder', 'add', s.VMName, '--name', share.name, '--hostpath', share.hostPath, '--automount']);
    await vbm.run(['setextradata', s.VMName, `VBoxInternal2/SharedFoldersEnableSymlinksCreate/${share.name}`, '1']);
  }

  // ---- start, stop, remove ----

  private async startVM(ctx: DriverContext, vbm: VBoxManage, s: State): Promise<State> {
    const info = await this.requireVM(vbm, s);
    const vmState = info.get('VMState');
    if (vmState === 'running') {
      if (!s.SSHPort) s.SSHPort = sshPortOf(info);
    } else if (vmState === 'paused') {
      ctx.progress(`Resuming VM ${s.VMName}`);
      await vbm.run(['controlvm', s.VMName, 'resume', '--type', s.UIType]);
    } else {
      await vbm.exclusive(async () => {
        s.HostOnlyInterface = await this.setUpHostOnly(ctx, vbm, s);
        s.SSHPort = await freePort(s.SSHPort);
        await vbm.run(['modifyvm', s.VMName, '--natpf1', 'delete', 'ssh'], { allowFailure: true });
        await vbm.run(['modifyvm', s.VMName, '--natpf1', `ssh,tcp,127.0.0.1,${s.SSHPort},,22`]);
      }, ctx.signal);
      ctx.progress(`Starting VM ${s.VMName}`);
      await vbm.run(['startvm', s.VMName, '--type', s.UIType]);
    }
    await this.waitForSSH(ctx, s);
    s.IPAddress = await this.waitForIP(ctx, vbm, s);
    ctx.progress(`VM ${s.VMName} is running at ${s.IPAddress}, SSH on 127.0.0.1:${s.SSHPort}`);
    return s;
  }

  /**
   * The host-only interface and its DHCP server, reused when they exist; or,
   * with VirtualBox 7 where there are no host-only interfaces (macOS), a
   * host-only network. Attached as the second NIC; returns its name.
   */
  private async setUpHostOnly(ctx: DriverContext, vbm: VBoxManage, s: State): Promise<string> {
    const network = parseHostOnlyCIDR(s.HostOnlyCIDR);
    const { ifs, nets, existingNet } = await this.hostOnlyTopology(vbm, network);
    let hostOnly = findHostOnlyInterface(ifs, network);
    if (!hostOnly && this.hasHostOnlyNetworks() && (existingNet || process.platform === 'darwin')) {
      return this.attachHostOnlyNetwork(ctx, vbm, s, network, existingNet ?? nets.find((n) => n.name === hostOnlyNetName(network)));
    }
    if (!hostOnly) {
      ctx.progress(`Creating a host-only interface for ${network.ip}/${network.prefix}`);
      const attempt = await vbm.run(['hostonlyif', 'create'], { allowFailure: true });
      if (attempt.code !== 0 || /error:/.test(attempt.stderr)) {
        if (this.hasHostOnlyNetworks() && noHostOnlyAdapters(attempt.stderr)) {
          ctx.log.debug('VirtualBox has no host-only adapters here; using a host-only network', { stderr: attempt.stderr });
          return this.attachHostOnlyNetwork(ctx, vbm, s, network, nets.find((n) => n.name === hostOnlyNetName(network)));
        }
        throw new VBoxManageError(['hostonlyif', 'create'], attempt.code, attempt.stdout, attempt.stderr);
      }
      const created = parseCreatedInterface(attempt.stdout);
      if (!created) throw new DriverError('internal', 'VBoxManage hostonlyif create did not name the interface it created');
      try {
        await vbm.run(['hostonlyif', 'ipconfig', created, '--ip', network.ip, '--netmask', network.netmask]);
      } catch (err) {
        await vbm.run(['hostonlyif', 'remove', created], { allowFailure: true });
        if (err instanceof VBoxManageError && /E_ACCESSDENIED|not permitted|networks\.conf/i.test(err.stderr)) {
          throw new DriverError('invalid-argument', `VirtualBox does not allow the host-only network ${network.ip}/${network.prefix}`, {
            flag: 'virtualbox-hostonly-cidr',
            detail: 'VirtualBox 6.1.28 and later only allow 192.168.56.0/21 unless /etc/vbox/networks.conf lists the network (for example "* 192.168.99.0/24"); add it there, or use --virtualbox-hostonly-cidr 192.168.56.1/24.',
          });
        }
        throw err;
      }
      hostOnly = { name: created, ipAddress: network.ip, networkMask: network.netmask, dhcp: false, status: 'Up', networkName: `HostInterfaceNetworking-${created}` };
    }

    const servers = parseDhcpServers(await vbm.out(['list', 'dhcpservers']));
    const names = new Set(parseHostOnlyIfs(await vbm.out(['list', 'hostonlyifs'])).map((i) => i.networkName));
    names.add(hostOnly.networkName);
    for (const orphan of servers.filter((d) => d.networkName.startsWith('HostInterfaceNetworking-') && !names.has(d.networkName))) {
      await vbm.run(['dhcpserver', 'remove', '--netname', orphan.networkName], { allowFailure: true });
    }
    const range = dhcpRange(network);
    const existing = servers.find((d) => d.networkName === hostOnly.networkName);
    const settings = ['--netname', hostOnly.networkName, '--ip', range.serverIp, '--netmask', network.netmask, '--lowerip', range.lowerIp, '--upperip', range.upperIp, s.HostOnlyNoDHCP ? '--disable' : '--enable'];
    if (!existing) {
      await vbm.run(['dhcpserver', 'add', ...settings]);
    } else if (existing.ip !== range.serverIp || existing.lowerIp !== range.lowerIp || existing.upperIp !== range.upperIp || existing.netmask !== network.netmask || existing.enabled === s.HostOnlyNoDHCP) {
      await vbm.run(['dhcpserver', 'modify', ...settings]);
    }
    await vbm.run([
      'modifyvm', s.VMName,
      '--nic2', 'hostonly', '--nictype2', s.HostOnlyNicType, '--nicpromisc2', s.HostOnlyPromiscMode,
      '--hostonlyadapter2', hostOnly.name, '--cableconnected2', 'on',
    ]);
    return hostOnly.name;
  }

  /**
   * VirtualBox 7's host-only network on the CIDR, made when missing: the
   * network is its own DHCP server, so the range goes with it.
   */
  private async attachHostOnlyNetwork(ctx: DriverContext, vbm: VBoxManage, s: State, network: HostOnlyNetwork, existing: HostOnlyNet | undefined): Promise<string> {
    const range = dhcpRange(network);
    const name = existing?.name ?? hostOnlyNetName(network);
    const settings = [`--name=${name}`, `--netmask=${network.netmask}`, `--lower-ip=${range.lowerIp}`, `--upper-ip=${range.upperIp}`, '--enable'];
    if (!existing) {
      ctx.progress(`Creating the host-only network ${name} for ${network.ip}/${network.prefix}`);
      await vbm.run(['hostonlynet', 'add', ...settings]);
    } else if (!existing.enabled || !findHostOnlyNet([existing], network)) {
      await vbm.run(['hostonlynet', 'modify', ...settings]);
    }
    await vbm.run([
      'modifyvm', s.VMName,
      '--nic2', 'hostonlynet', '--nictype2', s.HostOnlyNicType, '--nicpromisc2', s.HostOnlyPromiscMode,
      '--host-only-net2', name, '--cableconnected2', 'on',
    ]);
    return name;
  }

  private async stopVM(ctx: DriverContext, vbm: VBoxManage, s: State): Promise<void> {
    const { pollMs, stopTimeoutMs } = timing();
    let info = await this.requireVM(vbm, s);
    if (info.get('VMState') === 'paused') await vbm.run(['controlvm', s.VMName, 'resume', '--type', s.UIType]);
    if (!['running', 'paused'].includes(info.get('VMState') ?? '')) return;
    ctx.progress(`Stopping VM ${s.VMName}`);
    await vbm.run(['controlvm', s.VMName, 'acpipowerbutton']);
    const deadline = Date.now() + stopTimeoutMs;
    while (Date.now() < deadline) {
      info = await this.requireVM(vbm, s);
      if (!['running', 'stopping', 'paused'].includes(info.get('VMState') ?? '')) return;
      checkAbort(ctx, 'waiting for the VM to shut down');
      await sleep(pollMs, ctx.signal);
    }
    ctx.warn(`VM ${s.VMName} did not shut down within ${Math.round(stopTimeoutMs / 1000)} s of the ACPI power button; powered it off`);
    await vbm.run(['controlvm', s.VMName, 'poweroff'], { allowFailure: true });
  }

  private async removeVM(ctx: DriverContext, vbm: VBoxManage, s: State): Promise<void> {
    const info = await this.vmInfo(vbm, s.VMName);
    if (!info) return;
    if (['running', 'paused', 'stuck', 'starting', 'stopping'].includes(info.get('VMState') ?? '')) {
      ctx.progress(`Powering off VM ${s.VMName}`);
      await vbm.run(['controlvm', s.VMName, 'poweroff'], { allowFailure: true });
    }
    ctx.progress(`Deleting VM ${s.VMName}`);
    const out = await vbm.run(['unregistervm', s.VMName, '--delete'], { allowFailure: true });
    if (out.code !== 0 && !/Could not find a registered machine/.test(out.stderr)) throw new VBoxManageError(['unregistervm', s.VMName, '--delete'], out.code, out.stdout, out.stderr);
  }

  private async rollback(ctx: DriverContext, vbm: VBoxManage, s: State, unattachedDisk: string): Promise<void> {
    ctx.progress('Create failed; removing what it made in VirtualBox');
    const problems: string[] = [];
    try {
      if (s.VMCreated) await this.removeVM(ctx, vbm, s);
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (unattachedDisk) {
      // A disk made but not yet attached is registered on its own.
      await vbm.run(['closemedium', 'disk', unattachedDisk, '--delete'], { allowFailure: true }).catch(() => undefined);
    }
    if (problems.length) ctx.warn(`could not undo everything create made in VirtualBox: ${problems.join('; ')}`, `Remove the VM ${s.VMName} in VirtualBox Manager.`);
  }

  /**
   * A create killed before it could return its state (SIGKILL, a crash)
   * leaves a VM that the stored state does not know about. It is this
   * machine's when its settings file is inside the machine's folder.
   */
  private async leftByInterruptedCreate(ctx: DriverContext, s: State): Promise<boolean> {
    try {
      await fs.access(ctx.machine.machineDir);
    } catch {
      return false;
    }
    let vbm: VBoxManage;
    try {
      vbm = await this.vboxManage(ctx);
    } catch {
      return false;
    }
    const cfg = (await this.vmInfo(vbm, s.VMName))?.get('CfgFile');
    if (cfg && path.resolve(cfg).startsWith(path.resolve(ctx.machine.machineDir) + path.sep)) return true;
    // Killed after making the disk and before the VM: only the disk is registered.
    return (await this.disksInMachineFolder(ctx, vbm)).length > 0;
  }

  /** Disks VirtualBox has registered from inside this machine's folder (`list hdds`). */
  private async disksInMachineFolder(ctx: DriverContext, vbm: VBoxManage): Promise<string[]> {
    const dir = path.resolve(ctx.machine.machineDir) + path.sep;
    return (await vbm.out(['list', 'hdds']))
      .split('\n')
      .map((l) => /^Location:\s+(.+?)\s*$/.exec(l)?.[1])
      .filter((loc): loc is string => loc !== undefined && path.resolve(loc).startsWith(dir));
  }

  // ---- reading the VM ----

  /** showvminfo, or undefined when VirtualBox has no such VM. */
  private async vmInfo(vbm: VBoxManage, name: string): Promise<Map<string, string> | undefined> {
    try {
      return parseMachineReadable(await vbm.out(['showvminfo', name, '--machinereadable']));
    } catch (err) {
      if (err instanceof VBoxManageError && err.notFound) return undefined;
      throw err;
    }
  }

  private async requireVM(vbm: VBoxManage, s: Pick<State, 'VMName'>): Promise<Map<string, string>> {
    const info = await this.vmInfo(vbm, s.VMName);
    if (!info) throw new DriverError('not-found', `VirtualBox has no VM named ${s.VMName}`);
    return info;
  }

  /**
   * The host-only address: guest properties (guest additions), then the
   * DHCP server's lease, then asking the guest over SSH, then the last
   * address seen.
   */
  private async readIP(vbm: VBoxManage, s: State, info: Map<string, string>, keyPath?: string): Promise<string> {
    const prop = parseGuestProperty(await vbm.out(['guestproperty', 'get', s.VMName, IP_PROPERTY]));
    if (prop) return prop;
    // A host-only network (VirtualBox 7, macOS) leases through the host's own DHCP service: guest properties or SSH tell.
    const onNetwork = info.get('nic2') === 'hostonlynet';
    const adapter = info.get('hostonlyadapter2') ?? s.HostOnlyInterface;
    const mac = info.get('macaddress2');
    if (!onNetwork && adapter && mac) {
      const leases = path.join(vboxUserHome(), `HostInterfaceNetworking-${adapter}-Dhcpd.leases`);
      try {
        const ip = leaseFor(await fs.readFile(leases, 'utf8'), mac);
        if (ip) return ip;
      } catch {
        // no lease file: no DHCP server, or an older VirtualBox
      }
    }
    if (keyPath && s.SSHPort && s.SSHUser) {
      const ip = await addressOverSSH(keyPath, s.SSHUser, s.SSHPort, s.HostOnlyCIDR).catch(() => '');
      if (ip) return ip;
    }
    return s.IPAddress;
  }

  private async waitForIP(ctx: DriverContext, vbm: VBoxManage, s: State): Promise<string> {
    const { pollMs, ipTimeoutMs } = timing();
    const deadline = Date.now() + ipTimeoutMs;
    ctx.progress(`Waiting for VM ${s.VMName} to get an IP address`);
    for (;;) {
      const info = await this.requireVM(vbm, s);
      // Only what VirtualBox itself knows: an address seen over SSH may not be on the host-only network yet.
      const ip = await this.readIP(vbm, { ...s, IPAddress: '' }, info);
      if (ip) return ip;
      checkAbort(ctx, 'waiting for an IP address');
      if (Date.now() > deadline) {
        throw new DriverError('deadline-exceeded', `VM ${s.VMName} got no IP address on its host-only network (${s.HostOnlyInterface || 'none'}) within ${Math.round(ipTimeoutMs / 1000)} s`, {
          detail: 'Check that the host-only network has a DHCP server (no --virtualbox-hostonly-no-dhcp) and that the guest configures its second network card.',
        });
      }
      await sleep(pollMs, ctx.signal);
    }
  }

  /** Waits until sshd answers through the NAT forward with its banner. */
  private async waitForSSH(ctx: DriverContext, s: State): Promise<void> {
    const { pollMs, sshTimeoutMs } = timing();
    const deadline = Date.now() + sshTimeoutMs;
    ctx.progress(`Waiting for SSH on 127.0.0.1:${s.SSHPort}`);
    while (!(await sshBanner('127.0.0.1', s.SSHPort, 5000))) {
      checkAbort(ctx, 'waiting for SSH');
      if (Date.now() > deadline) throw new DriverError('deadline-exceeded', `VM ${s.VMName} did not answer on SSH (127.0.0.1:${s.SSHPort}) within ${Math.round(sshTimeoutMs / 1000)} s`);
      await sleep(Math.min(pollMs, 1000), ctx.signal);
    }
  }
}

function sshPortOf(info: Map<string, string>): number {
  for (const [k, v] of info) {
    if (!/^Forwarding\(\d+\)$/.test(k)) continue;
    const [name, , , port] = v.split(',');
    if (name === 'ssh') return Number(port);
  }
  return 0;
}

/**
 * Asks the guest for its addresses with the system's OpenSSH client (on
 * macOS, Linux and Windows 10+ alike) through the NAT forward: the one on
 * the host-only network, else the first that is not NAT's 10.0.2.0/24.
 */
export function addressOverSSH(keyPath: string, user: string, port: number, cidr: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      [
        '-i', keyPath, '-p', String(port),
        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=' + (process.platform === 'win32' ? 'NUL' : '/dev/null'),
        '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
        `${user}@127.0.0.1`, `ip -4 -o addr show scope global; ip -4 -o route get ${hostOnlyHost(cidr)}`,
      ],
      { timeout: 20_000, windowsHide: true },
      (err, stdout) => resolve(err ? '' : pickGuestAddress(stdout, cidr)),
    );
  });
}

function hostOnlyHost(cidr: string): string {
  try {
    return parseHostOnlyCIDR(cidr).ip;
  } catch {
    return '192.168.99.1';
  }
}

/**
 * The guest's host-only address from `ip -4 -o addr show` and `ip -4 -o
 * route get <host's address>`: an address on the host-only network, else
 * the source address the guest uses to reach the host (never NAT's
 * 10.0.2.0/24; bridges such as docker0 are not on the route).
 */
export function pickGuestAddress(ipOutput: string, cidr: string): string {
  const addresses = [...ipOutput.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\/\d+/g)].map((m) => m[1]);
  let network: ReturnType<typeof parseHostOnlyCIDR> | undefined;
  try {
    network = parseHostOnlyCIDR(cidr);
  } catch {
    network = undefined;
  }
  const inHostOnly = network ? addresses.find((a) => inNetwork(a, network!)) : undefined;
  const routeSource = /\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(ipOutput)?.[1];
  return inHostOnly ?? (routeSource && !routeSource.startsWith('10.0.2.') ? routeSource : '');
}

/** True when something at host:port greets like an SSH server. */
export function sshBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (data.startsWith('SSH-')) done(true);
      else if (data.length >= 4) done(false);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(data.startsWith('SSH-')));
  });
}

/** A free TCP port on 127.0.0.1, the preferred one when it is free. */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const got = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(got));
      });
    });
  if (preferred > 0) {
    const again = await tryPort(preferred);
    if (again) return again;
  }
  const port = await tryPort(0);
  if (!port) throw new DriverError('unavailable', 'no free TCP port on 127.0.0.1 for the SSH forward');
  return port;
}

/** VBoxManage failures become DriverErrors that say what was being done. */
function translate(err: unknown, action: string): Error {
  if (err instanceof DriverError) return err;
  if (err instanceof VBoxManageError) {
    if (err.notFound) return new DriverError('not-found', `cannot ${action}: ${summarizeStderr(err.stderr)}`);
    if (hardwareVirtualizationMissing(err.stderr)) {
      return new DriverError('failed-precondition', `cannot ${action}: VirtualBox found no hardware virtualization (VT-x/AMD-V) to run the VM; enable it in the BIOS/UEFI settings, or stop the hypervisor that holds it`, {
        detail: err.stderr.trim().split(/\r?\n/).slice(0, 6).join('\n'),
      });
    }
    return new DriverError('internal', `cannot ${action}: VBoxManage ${err.args.join(' ')} failed: ${summarizeStderr(err.stderr) || `exit code ${err.exitCode}`}`, {
      detail: err.stderr.trim().split(/\r?\n/).slice(0, 6).join('\n'),
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}
