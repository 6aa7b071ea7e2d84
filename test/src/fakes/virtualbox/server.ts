// A stand-in for VirtualBox: the service behind the stand-in VBoxManage
// executable (cli.ts). It keeps VMs, media, host-only interfaces and DHCP
// servers (and VirtualBox 7's host-only networks) in a state file, prints
// VBoxManage's output formats and error
// texts, and boots a real test host for every started VM: the seed ISO's (or
// boot2docker disk's) SSH key is authorised on it, each NAT port-forward rule
// is a real TCP forward from 127.0.0.1 to the host, and the guest property
// and DHCP lease report the host's address.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { FaultPlan, type Fault } from '../common/faults';
import type { BackingHost, HostProvider } from '../common/hosts';
import { startHttpFake, type HttpFake } from '../common/server';
import type { CommandRequest, CommandResponse } from './cli';
import { cloudInitLogin, readIso } from './iso';

export const IP_PROPERTY = '/VirtualBox/GuestInfo/Net/1/V4/IP';
const BOOT2DOCKER_MAGIC = 'boot2docker, please format-me';

type VMState = 'poweroff' | 'running' | 'paused' | 'saved' | 'aborted' | 'stopping';

interface Nic {
  type: string;
  nictype: string;
  mac: string;
  cable: string;
  promisc: string;
  hostonlyadapter: string;
  /** VirtualBox 7's host-only network, for a NIC of type hostonlynet. */
  hostonlynetwork: string;
}

interface PortForward {
  name: string;
  proto: string;
  hostIp: string;
  hostPort: number;
  guestIp: string;
  guestPort: number;
}

export interface FakeVM {
  uuid: string;
  name: string;
  settingsFile: string;
  state: VMState;
  stateChanged: string;
  settings: Record<string, string>;
  nics: Record<string, Nic>;
  forwards: PortForward[];
  controllers: { name: string; type: string; hostiocache: string }[];
  /** "SATA-0-0" → medium path. */
  attachments: Record<string, { type: string; medium: string }>;
  sharedFolders: { name: string; hostPath: string; automount: boolean }[];
  guestProperties: Record<string, string>;
  extraData: Record<string, string>;
}

export interface FakeMedium {
  uuid: string;
  path: string;
  format: string;
  sizeMB: number;
}

export interface FakeHostOnlyIf {
  name: string;
  guid: string;
  ip: string;
  netmask: string;
  mac: string;
}

/** A VirtualBox 7 host-only network (`hostonlynet`): its own DHCP range, no host interface to make. */
export interface FakeHostOnlyNet {
  name: string;
  id: string;
  netmask: string;
  lowerIp: string;
  upperIp: string;
  enabled: boolean;
}

export interface FakeDhcpServer {
  networkName: string;
  ip: string;
  netmask: string;
  lowerIp: string;
  upperIp: string;
  enabled: boolean;
}

interface Model {
  vms: FakeVM[];
  media: FakeMedium[];
  hostOnlyIfs: FakeHostOnlyIf[];
  dhcpServers: FakeDhcpServer[];
  hostOnlyNets: FakeHostOnlyNet[];
}

export interface FakeVirtualBoxOptions {
  hosts: HostProvider;
  /** `VBoxManage --version`; default 7.0.14r161095. */
  version?: string;
  /** Report the IP as a guest property, as with guest additions (default true); without, only the DHCP lease has it. */
  guestAdditions?: boolean;
  /** How long the guest takes to shut down after the ACPI power button (default 200 ms). */
  acpiShutdownMs?: number;
}

/** The failure of `hostonlyif create` where VirtualBox 7 has no host-only adapters (macOS). */
export const NO_HOSTONLY_ADAPTERS = [
  'Failed to create the host-only adapter',
  'VBoxNetAdpCtl: Error while adding new interface: failed to open /dev/vboxnetctl: No such file or directory',
  'Details: code NS_ERROR_FAILURE (0x80004005), component HostNetworkInterfaceWrap, interface IHostNetworkInterface',
];

/** "The object is not ready", which VirtualBox answers while another client holds the machine. */
export function notReady(): Fault {
  return { status: 1, code: 'VBOX_E_INVALID_OBJECT_STATE', message: 'The object is not ready' };
}

class CommandError extends Error {
  constructor(readonly stderr: string, readonly code = 1) {
    super(stderr);
  }
}

const fail = (...lines: string[]): never => {
  throw new CommandError(lines.map((l) => `VBoxManage: error: ${l}\n`).join(''));
};
const syntax = (message: string): never => {
  throw new CommandError(`VBoxManage: error: ${message}\n`, 2);
};

const progress = '0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n';

function macAddress(): string {
  return `080027${randomUUID().replace(/-/g, '').slice(0, 6).toUpperCase()}`;
}

/** Options of the form --name value (and --name=value). */
function options(args: string[]): { opts: Map<string, string[]>; flags: Set<string>; positional: string[] } {
  const opts = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        opts.set(a.slice(2, eq), [...(opts.get(a.slice(2, eq)) ?? []), a.slice(eq + 1)]);
      } else if (i + 1 < args.length && !args[i + 1].startsWith('--')) {
        opts.set(a.slice(2), [...(opts.get(a.slice(2)) ?? []), args[++i]]);
      } else {
        flags.add(a.slice(2));
      }
    } else {
      positional.push(a);
    }
  }
  return { opts, flags, positional };
}

export class FakeVirtualBox {
  readonly faults = new FaultPlan();
  /** Every command, as argv, for assertions. */
  readonly commands: string[][] = [];
  /** How long each command took to answer, for the benchmark (startvm includes the host's boot). */
  readonly durations: { command: string; ms: number }[] = [];
  /** A VM that never gets an address: no guest property, no lease. */
  noIp = false;
  /** The guest ignores the ACPI power button (so the driver must power it off). */
  ignoreAcpi = false;
  /** What `list hostinfo` says of the CPU's VT-x/AMD-V (off in the BIOS, or hidden by a hypervisor). */
  hardwareVirtualization = true;
  /** False as on macOS with VirtualBox 7: no host-only adapters, only host-only networks. */
  hostOnlyAdapters = true;
  version: string;
  readonly binDir: string;
  /** VBOX_USER_HOME: where the DHCP server's lease files are. */
  readonly userHome: string;
  readonly stateFile: string;
  private model: Model = { vms: [], media: [], hostOnlyIfs: [], dhcpServers: [], hostOnlyNets: [] };
  private readonly live = new Map<string, BackingHost>();
  private readonly tcpForwards = new Map<string, net.Server[]>();
  /** Connections each NAT forward carried, by VM uuid and rule name: SSH to a VM goes through its forward. */
  private readonly forwardedConnections = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private http?: HttpFake;

  constructor(readonly dir: string, private readonly opts: FakeVirtualBoxOptions) {
    this.version = opts.version ?? '7.0.14r161095';
    this.binDir = path.join(dir, 'bin');
    this.userHome = path.join(dir, 'home');
    this.stateFile = path.join(dir, 'VirtualBox.json');
    fs.mkdirSync(this.binDir, { recursive: true });
    fs.mkdirSync(this.userHome, { recursive: true });
  }

  get url(): string {
    return this.http?.url ?? '';
  }

  get vms(): FakeVM[] {
    return this.model.vms;
  }
  get media(): FakeMedium[] {
    return this.model.media;
  }
  get hostOnlyIfs(): FakeHostOnlyIf[] {
    return this.model.hostOnlyIfs;
  }
  get dhcpServers(): FakeDhcpServer[] {
    return this.model.dhcpServers;
  }
  get hostOnlyNets(): FakeHostOnlyNet[] {
    return this.model.hostOnlyNets;
  }
  /** Hosts of VMs that exist (running or not). */
  get liveHosts(): number {
    return this.live.size;
  }
  get forwardCount(): number {
    return [...this.tcpForwards.values()].reduce((n, list) => n + list.length, 0);
  }

  /** How many connections a VM's NAT forward rule (default the SSH one) has carried since the VM was made. */
  connectionsThrough(name: string, rule = 'ssh'): number {
    const vm = this.vm(name);
    return vm ? this.forwardedConnections.get(`${vm.uuid}/${rule}`) ?? 0 : 0;
  }

  vm(name: string): FakeVM | undefined {
    return this.model.vms.find((v) => v.name === name || v.uuid === name);
  }

  /** The host behind a VM, when it has one. */
  hostOf(name: string): BackingHost | undefined {
    const vm = this.vm(name);
    return vm ? this.live.get(vm.uuid) : undefined;
  }

  /** A host-only interface disappears, as after a host reboot without VirtualBox's kernel modules. */
  removeHostOnlyIf(name: string): void {
    this.model.hostOnlyIfs = this.model.hostOnlyIfs.filter((i) => i.name !== name);
    this.save();
  }

  async start(): Promise<void> {
    this.http = await startHttpFake(async (req) => {
      const request = JSON.parse(req.body.toString('utf8')) as CommandRequest;
      const started = performance.now();
      const out = await this.serialised(() => this.execute(request));
      this.durations.push({ command: request.args[0] ?? '', ms: performance.now() - started });
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out), label: request.args[0] ?? '' };
    });
    const cli = path.join(__dirname, 'cli.js');
    const shim = `#!${process.execPath}\n'use strict';\nrequire(${JSON.stringify(cli)}).main(${JSON.stringify(this.http.url)});\n`;
    fs.writeFileSync(path.join(this.binDir, 'VBoxManage'), shim, { mode: 0o755 });
    this.save();
  }

  async close(): Promise<void> {
    await this.http?.close();
    for (const list of this.tcpForwards.values()) for (const s of list) s.close();
    this.tcpForwards.clear();
    await Promise.all([...this.live.values()].map((h) => h.destroy().catch(() => undefined)));
    this.live.clear();
  }

  /** Commands run one at a time, as VBoxSVC serialises changes to a machine. */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private save(): void {
    fs.writeFileSync(this.stateFile, JSON.stringify(this.model, null, 2));
  }

  private async execute(req: CommandRequest): Promise<CommandResponse> {
    this.commands.push(req.args);
    const [command, ...rest] = req.args;
    const fault = command ? this.faults.take(command) : undefined;
    if (fault) return { stdout: '', stderr: `VBoxManage: error: ${fault.message}\nVBoxManage: error: Details: code ${fault.code} (0x80bb0007), component SessionMachine, interface IMachine\n`, code: fault.status };
    try {
      const stdout = await this.dispatch(command ?? '', rest, req);
      this.save();
      return { stdout, stderr: command === 'controlvm' && rest[1] === 'poweroff' ? progress : '', code: 0 };
    } catch (err) {
      this.save();
      if (err instanceof CommandError) return { stdout: '', stderr: err.stderr, code: err.code };
      return { stdout: '', stderr: `VBoxManage: error: ${(err as Error).message}\n`, code: 1 };
    }
  }

  private dispatch(command: string, args: string[], req: CommandRequest): Promise<string> | string {
    switch (command) {
      case '--version':
      case '-v':
        return `${this.version}\n`;
      case 'list':
        return this.list(args[0]);
      case 'showvminfo':
        return this.showVmInfo(args);
      case 'createvm':
        return this.createVm(args);
      case 'modifyvm':
        return this.modifyVm(args);
      case 'storagectl':
        return this.storageCtl(args);
      case 'storageattach':
        return this.storageAttach(args, req);
      case 'convertfromraw':
        return this.convertFromRaw(args, req);
      case 'clonemedium':
      case 'clonehd':
        return this.cloneMedium(args, req);
      case 'modifymedium':
      case 'modifyhd':
        return this.modifyMedium(args, req);
      case 'closemedium':
        return this.closeMedium(args, req);
      case 'guestproperty':
        return this.guestProperty(args);
      case 'sharedfolder':
        return this.sharedFolder(args);
      case 'setextradata':
        return this.setExtraData(args);
      case 'hostonlyif':
        return this.hostOnlyIf(args);
      case 'hostonlynet':
        return this.hostOnlyNet(args);
      case 'dhcpserver':
        return this.dhcpServer(args);
      case 'startvm':
        return this.startVm(args);
      case 'controlvm':
        return this.controlVm(args);
      case 'unregistervm':
        return this.unregisterVm(args);
      default:
        return syntax(`Invalid command '${command}'`);
    }
  }

  private find(name: string | undefined): FakeVM {
    const vm = name ? this.vm(name) : undefined;
    if (!vm) {
      return fail(
        `Could not find a registered machine named '${name ?? ''}'`,
        'Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports',
        'Context: "FindMachine(Bstr(a->argv[0]).raw(), machine.asOutParam())" at line 2621 of file VBoxManageInfo.cpp',
      );
    }
    return vm;
  }

  private unlocked(vm: FakeVM): void {
    if (vm.state === 'running' || vm.state === 'paused' || vm.state === 'stopping') {
      fail(`The machine '${vm.name}' is already locked for a session (or being unlocked)`, 'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports');
    }
  }

  // ---- list ----

  private list(what: string | undefined): string {
    switch (what) {
      case 'vms':
        return this.model.vms.map((v) => `"${v.name}" {${v.uuid}}\n`).join('');
      case 'hostinfo':
        return this.hostInfo();
      case 'hostonlynets':
        if (this.versionMajor() < 7) return syntax(`Invalid parameter '${what}'`);
        return this.model.hostOnlyNets
          .map((n) =>
            [
              `Name:            ${n.name}`,
              `GUID:            ${n.id}`,
              `State:           ${n.enabled ? 'Enabled' : 'Disabled'}`,
              `NetworkMask:     ${n.netmask}`,
              `LowerIP:         ${n.lowerIp}`,
              `UpperIP:         ${n.upperIp}`,
              `VBoxNetworkName: hostonly-${n.name}`,
              '',
              '',
            ].join('\n'),
          )
          .join('');
      case 'runningvms':
        return this.model.vms.filter((v) => v.state === 'running' || v.state === 'paused').map((v) => `"${v.name}" {${v.uuid}}\n`).join('');
      case 'hostonlyifs':
        return this.model.hostOnlyIfs
          .map((i) =>
            [
              `Name:            ${i.name}`,
              `GUID:            ${i.guid}`,
              `DHCP:            ${this.dhcpFor(i.name)?.enabled ? 'Enabled' : 'Disabled'}`,
              `IPAddress:       ${i.ip}`,
              `NetworkMask:     ${i.netmask}`,
              'IPV6Address:     ',
              'IPV6NetworkMaskPrefixLength: 0',
              `HardwareAddress: ${i.mac}`,
              'MediumType:      Ethernet',
              'Wireless:        No',
              'Status:          Up',
              `VBoxNetworkName: HostInterfaceNetworking-${i.name}`,
              '',
              '',
            ].join('\n'),
          )
          .join('');
      case 'dhcpservers':
        return this.model.dhcpServers
          .map((d) =>
            [
              `NetworkName:    ${d.networkName}`,
              `Dhcpd IP:       ${d.ip}`,
              `LowerIPAddress: ${d.lowerIp}`,
              `UpperIPAddress: ${d.upperIp}`,
              `NetworkMask:    ${d.netmask}`,
              `Enabled:        ${d.enabled ? 'Yes' : 'No'}`,
              'Global Configuration:',
              '    minLeaseTime:     default',
              '    defaultLeaseTime: default',
              '    maxLeaseTime:     default',
              '    Forced options:   None',
              '    Suppressed opts.: None',
              '        1/legacy: ' + d.netmask,
              'Groups:               None',
              'Individual Configs:   None',
              '',
              '',
            ].join('\n'),
          )
          .join('');
      case 'hdds':
        return this.model.media
          .map((m) => [`UUID:           ${m.uuid}`, 'Parent UUID:    base', 'State:          created', 'Type:           normal (base)', `Location:       ${m.path}`, `Storage format: ${m.format}`, `Capacity:       ${m.sizeMB} MBytes`, 'Encryption:     disabled', '', ''].join('\n'))
          .join('');
      default:
        return syntax(`Invalid parameter '${what ?? ''}'`);
    }
  }

  private versionMajor(): number {
    return Number(this.version.split('.')[0]);
  }

  private hostInfo(): string {
    const yesNo = (b: boolean) => (b ? 'yes' : 'no');
    return [
      'Host Information:',
      '',
      `Host time: ${new Date().toISOString()}`,
      'Processor online count: 2',
      'Processor count: 2',
      'Processor online core count: 2',
      'Processor core count: 2',
      `Processor supports HW virtualization: ${yesNo(this.hardwareVirtualization)}`,
      'Processor supports PAE: yes',
      'Processor supports long mode: yes',
      `Processor supports nested paging: ${yesNo(this.hardwareVirtualization)}`,
      `Processor supports unrestricted guest: ${yesNo(this.hardwareVirtualization)}`,
      'Processor supports nested HW virtualization: no',
      'Processor#0 speed: 2400 MHz',
      'Processor#0 description: Stand-in CPU',
      'Memory size: 8192 MByte',
      'Memory available: 4096 MByte',
      'Operating system: Linux',
      'Operating system version: 6.1.0',
      '',
    ].join('\n');
  }

  private dhcpFor(ifName: string): FakeDhcpServer | undefined {
    return this.model.dhcpServers.find((d) => d.networkName === `HostInterfaceNetworking-${ifName}`);
  }

  // ---- VMs ----

  private showVmInfo(args: string[]): string {
    const { positional, flags } = options(args);
    const vm = this.find(positional[0]);
    if (!flags.has('machinereadable')) return `Name:                        ${vm.name}\nUUID:                        ${vm.uuid}\nState:                       ${vm.state}\n`;
    const lines: string[] = [
      `name="${vm.name}"`,
      'groups="/"',
      `ostype="${vm.settings.ostype ?? 'Other'}"`,
      `UUID="${vm.uuid}"`,
      `CfgFile="${vm.settingsFile}"`,
      `SnapFldr="${path.join(path.dirname(vm.settingsFile), 'Snapshots')}"`,
      `LogFldr="${path.join(path.dirname(vm.settingsFile), 'Logs')}"`,
      `memory=${vm.settings.memory ?? '128'}`,
      `cpus=${vm.settings.cpus ?? '1'}`,
      `firmware="${(vm.settings.firmware ?? 'bios').toUpperCase()}"`,
      `VMState="${vm.state}"`,
      `VMStateChangeTime="${vm.stateChanged}"`,
    ];
    vm.controllers.forEach((c, i) => lines.push(`storagecontrollername${i}="${c.name}"`, `storagecontrollertype${i}="${c.type}"`, `storagecontrollerportcount${i}="30"`, `storagecontrollerbootable${i}="on"`));
    for (const [slot, a] of Object.entries(vm.attachments)) {
      lines.push(`"${slot}"="${a.medium}"`);
      const medium = this.model.media.find((m) => m.path === a.medium);
      if (medium) lines.push(`"${slot.replace(/^(\w+)-/, '$1-ImageUUID-')}"="${medium.uuid}"`);
    }
    for (let n = 1; n <= 8; n++) {
      const nic = vm.nics[String(n)];
      if (!nic || nic.type === 'none') {
        lines.push(`nic${n}="none"`);
        continue;
      }
      if (nic.type === 'nat') lines.push(`natnet${n}="nat"`);
      if (nic.type === 'hostonly') lines.push(`hostonlyadapter${n}="${nic.hostonlyadapter}"`);
      if (nic.type === 'hostonlynet') lines.push(`hostonly-network${n}="${nic.hostonlynetwork}"`);
      lines.push(`macaddress${n}="${nic.mac}"`, `cableconnected${n}="${nic.cable}"`, `nic${n}="${nic.type}"`, `nictype${n}="${nic.nictype}"`, `nicspeed${n}="0"`);
      if (nic.type === 'nat') vm.forwards.forEach((f, i) => lines.push(`Forwarding(${i})="${f.name},${f.proto},${f.hostIp},${f.hostPort},${f.guestIp},${f.guestPort}"`));
    }
    vm.sharedFolders.forEach((s, i) => lines.push(`SharedFolderNameMachineMapping${i + 1}="${s.name}"`, `SharedFolderPathMachineMapping${i + 1}="${s.hostPath}"`));
    if (vm.state === 'running') lines.push('GuestAdditionsRunLevel=0');
    return `${lines.join('\n')}\n`;
  }

  private createVm(args: string[]): string {
    const { opts, flags } = options(args);
    const name = opts.get('name')?.[0] ?? syntax('createvm: missing --name');
    const base = opts.get('basefolder')?.[0] ?? path.join(this.dir, 'VirtualBox VMs');
    const settingsFile = path.join(base, name, `${name}.vbox`);
    if (fs.existsSync(settingsFile) || this.vm(name)) {
      fail(`Machine settings file '${settingsFile}' already exists`, 'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MachineWrap, interface IMachine, callee nsISupports');
    }
    const uuid = randomUUID();
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, `<?xml version="1.0"?>\n<VirtualBox xmlns="http://www.virtualbox.org/" version="1.19-linux">\n  <Machine uuid="{${uuid}}" name="${name}"/>\n</VirtualBox>\n`);
    fs.mkdirSync(path.join(path.dirname(settingsFile), 'Logs'), { recursive: true });
    fs.writeFileSync(path.join(path.dirname(settingsFile), 'Logs', 'VBox.log'), '');
    const vm: FakeVM = {
      uuid,
      name,
      settingsFile,
      state: 'poweroff',
      stateChanged: new Date().toISOString(),
      settings: { ostype: opts.get('ostype')?.[0] ?? 'Other' },
      nics: { '1': { type: 'nat', nictype: '82540EM', mac: macAddress(), cable: 'on', promisc: 'deny', hostonlyadapter: '', hostonlynetwork: '' } },
      forwards: [],
      controllers: [],
      attachments: {},
      sharedFolders: [],
      guestProperties: {},
      extraData: {},
    };
    if (flags.has('register')) this.model.vms.push(vm);
    return `Virtual machine '${name}' is created${flags.has('register') ? ' and registered' : ''}.\nUUID: ${uuid}\nSettings file: '${settingsFile}'\n`;
  }

  private modifyVm(args: string[]): string {
    const vm = this.find(args[0]);
    this.unlocked(vm);
    for (let i = 1; i < args.length; i++) {
      const key = args[i].replace(/^--/, '');
      const value = args[++i];
      if (value === undefined) syntax(`Missing argument to '${args[i - 1]}'`);
      const nicOpt = /^(nic|nictype|cableconnected|hostonlyadapter|host-only-net|nicpromisc|macaddress|natpf)(\d)$/.exec(key);
      if (!nicOpt) {
        vm.settings[key] = value;
        continue;
      }
      const [, what, n] = nicOpt;
      const nic = (vm.nics[n] ??= { type: 'none', nictype: '82540EM', mac: macAddress(), cable: 'on', promisc: 'deny', hostonlyadapter: '', hostonlynetwork: '' });
      if (what === 'nic') {
        if (value === 'hostonlynet' && this.versionMajor() < 7) syntax(`Invalid --nic${n} argument '${value}'`);
        nic.type = value;
      } else if (what === 'host-only-net') {
        if (this.versionMajor() < 7) syntax(`Unknown option: --host-only-net${n}`);
        nic.hostonlynetwork = value;
      }
      else if (what === 'nictype') nic.nictype = value;
      else if (what === 'cableconnected') nic.cable = value;
      else if (what === 'hostonlyadapter') nic.hostonlyadapter = value;
      else if (what === 'nicpromisc') nic.promisc = value;
      else if (what === 'macaddress') nic.mac = value.toUpperCase();
      else if (what === 'natpf') {
        if (value === 'delete') {
          const name = args[++i];
          const before = vm.forwards.length;
          vm.forwards = vm.forwards.filter((f) => f.name !== name);
          if (vm.forwards.length === before) fail(`Code NS_ERROR_INVALID_ARG (0x80070057) - Invalid argument value (extended info not available)`, `Context: "RemoveRedirect(Bstr(ValueUnion.psz).raw())" at line 1870 of file VBoxManageModifyVM.cpp`);
        } else {
          const [name, proto, hostIp, hostPort, guestIp, guestPort] = value.split(',');
          if (vm.forwards.some((f) => f.name === name)) fail(`A NAT rule of this name already exists`, 'Details: code NS_ERROR_INVALID_ARG (0x80070057), component NATEngineWrap, interface INATEngine');
          vm.forwards.push({ name, proto, hostIp, hostPort: Number(hostPort), guestIp: guestIp ?? '', guestPort: Number(guestPort) });
        }
      }
    }
    return '';
  }

  private storageCtl(args: string[]): string {
    const vm = this.find(args[0]);
    this.unlocked(vm);
    const { opts } = options(args.slice(1));
    const name = opts.get('name')?.[0] ?? syntax('storagectl: missing --name');
    if (vm.controllers.some((c) => c.name === name)) fail(`Storage controller named '${name}' already exists`);
    vm.controllers.push({ name, type: opts.get('add')?.[0] === 'sata' ? 'IntelAhci' : 'PIIX4', hostiocache: opts.get('hostiocache')?.[0] ?? 'off' });
    return '';
  }

  private resolve(file: string, req: CommandRequest): string {
    return path.resolve(req.cwd, file);
  }

  private storageAttach(args: string[], req: CommandRequest): string {
    const vm = this.find(args[0]);
    this.unlocked(vm);
    const { opts } = options(args.slice(1));
    const ctl = opts.get('storagectl')?.[0] ?? syntax('storageattach: missing --storagectl');
    if (!vm.controllers.some((c) => c.name === ctl)) fail(`Could not find a controller named '${ctl}'`);
    const slot = `${ctl}-${opts.get('port')?.[0] ?? '0'}-${opts.get('device')?.[0] ?? '0'}`;
    const medium = opts.get('medium')?.[0] ?? 'none';
    if (medium === 'none' || medium === 'emptydrive') {
      delete vm.attachments[slot];
      return '';
    }
    const file = this.resolve(medium, req);
    if (!fs.existsSync(file)) {
      fail(`Could not find file for the medium '${file}' (VERR_FILE_NOT_FOUND)`, 'Details: code VBOX_E_FILE_ERROR (0x80bb0004), component MediumWrap, interface IMedium, callee nsISupports');
    }
    const type = opts.get('type')?.[0] ?? 'hdd';
    vm.attachments[slot] = { type, medium: file };
    if (type === 'hdd' && !this.model.media.some((m) => m.path === file)) {
      this.model.media.push({ uuid: randomUUID(), path: file, format: path.extname(file).slice(1).toUpperCase() || 'RAW', sizeMB: Math.ceil(fs.statSync(file).size / 1048576) });
    }
    return '';
  }

  // ---- media ----

  /** A disk file: a format header, then the guest's bytes (so the stand-in can read a boot2docker tar back). */
  private writeDisk(file: string, format: string, content: Buffer, sizeMB: number): FakeMedium {
    if (fs.existsSync(file)) fail(`Cannot create the disk image "${file}": VERR_ALREADY_EXISTS`);
    const magic = format === 'VDI' ? '<<< Oracle VM VirtualBox Disk Image >>>\n' : 'KDMV';
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([Buffer.from(magic.padEnd(512, '\0'), 'latin1'), content]));
    const medium = { uuid: randomUUID(), path: file, format, sizeMB };
    this.model.media.push(medium);
    return medium;
  }

  private convertFromRaw(args: string[], req: CommandRequest): string {
    const { opts, positional } = options(args);
    const [source, target, bytes] = positional;
    if (!source || !target) syntax('convertfromraw: missing file names');
    const format = (opts.get('format')?.[0] ?? 'VDI').toUpperCase();
    let content: Buffer;
    let size: number;
    if (source === 'stdin') {
      content = Buffer.from(req.stdin, 'base64');
      size = Number(bytes);
    } else {
      content = fs.readFileSync(this.resolve(source, req));
      size = content.length;
    }
    const medium = this.writeDisk(this.resolve(target, req), format, content, Math.ceil(size / 1048576));
    return `Converting from raw image file="${source}" to file="${medium.path}"...\nCreating dynamic image with size ${size} bytes (${medium.sizeMB}MB)...\n`;
  }

  private cloneMedium(args: string[], req: CommandRequest): string {
    const { opts, positional } = options(args);
    const [maybeType, ...files] = positional;
    const [source, target] = ['disk', 'dvd', 'floppy'].includes(maybeType) ? files : [maybeType, ...files];
    const from = this.resolve(source ?? syntax('clonemedium: missing source'), req);
    if (!fs.existsSync(from)) fail(`Could not find file for the medium '${from}' (VERR_FILE_NOT_FOUND)`);
    const format = (opts.get('format')?.[0] ?? 'VDI').toUpperCase();
    const content = fs.readFileSync(from);
    // A disk cloned from a fake image keeps the guest's bytes after the image's own header.
    const medium = this.writeDisk(this.resolve(target ?? syntax('clonemedium: missing target'), req), format, content.subarray(Math.min(512, content.length)), Math.max(1, Math.ceil(content.length / 1048576)));
    return `${progress}Clone medium created in format '${format}'. UUID: ${medium.uuid}\n`;
  }

  private medium(file: string, req: CommandRequest): FakeMedium {
    const full = this.resolve(file, req);
    const medium = this.model.media.find((m) => m.path === full || m.uuid === file);
    if (!medium) fail(`Could not find file for the medium '${full}' (VERR_FILE_NOT_FOUND)`);
    return medium!;
  }

  private modifyMedium(args: string[], req: CommandRequest): string {
    const { opts, positional } = options(args);
    const file = positional[0] === 'disk' ? positional[1] : positional[0];
    const medium = this.medium(file ?? syntax('modifymedium: missing file'), req);
    const resize = opts.get('resize')?.[0];
    if (resize) {
      if (medium.format !== 'VDI' && medium.format !== 'VHD') fail('Resize medium operation for this format is not implemented yet!');
      if (Number(resize) < medium.sizeMB) fail('Shrinking is not yet supported for medium');
      medium.sizeMB = Number(resize);
      return progress;
    }
    return '';
  }

  private closeMedium(args: string[], req: CommandRequest): string {
    const { positional, flags } = options(args);
    const file = ['disk', 'dvd', 'floppy'].includes(positional[0]) ? positional[1] : positional[0];
    const medium = this.medium(file ?? syntax('closemedium: missing file'), req);
    if (this.model.vms.some((v) => Object.values(v.attachments).some((a) => a.medium === medium.path))) {
      fail(`Cannot close medium '${medium.path}' because it has 1 child media`);
    }
    this.model.media = this.model.media.filter((m) => m !== medium);
    if (flags.has('delete')) fs.rmSync(medium.path, { force: true });
    return flags.has('delete') ? progress : '';
  }

  // ---- properties, folders ----

  private guestProperty(args: string[]): string {
    const [sub, name, prop, value] = args;
    const vm = this.find(name);
    switch (sub) {
      case 'get': {
        const v = vm.guestProperties[prop ?? ''];
        return v === undefined ? 'No value set!\n' : `Value: ${v}\n`;
      }
      case 'set':
        if (value === undefined) delete vm.guestProperties[prop ?? ''];
        else vm.guestProperties[prop ?? ''] = value;
        return '';
      case 'enumerate':
        return Object.entries(vm.guestProperties)
          .map(([k, v]) => `Name: ${k}, value: ${v}, timestamp: ${Date.now()}000000, flags: \n`)
          .join('');
      default:
        return syntax(`Invalid parameter '${sub ?? ''}'`);
    }
  }

  private sharedFolder(args: string[]): string {
    const [sub, name, ...rest] = args;
    const vm = this.find(name);
    const { opts, flags } = options(rest);
    const share = opts.get('name')?.[0] ?? syntax('sharedfolder: missing --name');
    if (sub === 'add') {
      if (vm.sharedFolders.some((s) => s.name === share)) fail(`Shared folder named '${share}' already exists`);
      vm.sharedFolders.push({ name: share, hostPath: opts.get('hostpath')?.[0] ?? '', automount: flags.has('automount') });
    } else if (sub === 'remove') {
      vm.sharedFolders = vm.sharedFolders.filter((s) => s.name !== share);
    }
    return '';
  }

  private setExtraData(args: string[]): string {
    const [name, key, value] = args;
    if (name === 'global') return '';
    const vm = this.find(name);
    if (value === undefined) delete vm.extraData[key ?? ''];
    else vm.extraData[key ?? ''] = value;
    return '';
  }

  // ---- networks ----

  private hostOnlyIf(args: string[]): string {
    const [sub, name, ...rest] = args;
    switch (sub) {
      case 'create': {
        if (!this.hostOnlyAdapters) return fail(...NO_HOSTONLY_ADAPTERS);
        let n = 0;
        while (this.model.hostOnlyIfs.some((i) => i.name === `vboxnet${n}`)) n++;
        const hif: FakeHostOnlyIf = { name: `vboxnet${n}`, guid: randomUUID(), ip: '192.168.56.1', netmask: '255.255.255.0', mac: `0a:00:27:00:00:${n.toString(16).padStart(2, '0')}` };
        this.model.hostOnlyIfs.push(hif);
        return `${progress}Interface '${hif.name}' was successfully created\n`;
      }
      case 'ipconfig': {
        const hif = this.model.hostOnlyIfs.find((i) => i.name === name);
        if (!hif) return fail(`Could not find a host interface by name '${name ?? ''}'`);
        const { opts } = options(rest);
        hif.ip = opts.get('ip')?.[0] ?? hif.ip;
        hif.netmask = opts.get('netmask')?.[0] ?? hif.netmask;
        return '';
      }
      case 'remove': {
        if (!this.model.hostOnlyIfs.some((i) => i.name === name)) return fail(`Could not find a host interface by name '${name ?? ''}'`);
        this.model.hostOnlyIfs = this.model.hostOnlyIfs.filter((i) => i.name !== name);
        return progress;
      }
      default:
        return syntax(`Invalid parameter '${sub ?? ''}'`);
    }
  }

  /** VirtualBox 7's `hostonlynet add|modify|remove` (--name, --netmask, --lower-ip, --upper-ip, --enable|--disable). */
  private hostOnlyNet(args: string[]): string {
    if (this.versionMajor() < 7) return syntax(`Invalid command 'hostonlynet'`);
    const [sub, ...rest] = args;
    const { opts, flags } = options(rest);
    const name = opts.get('name')?.[0] ?? syntax('hostonlynet: missing --name');
    const existing = this.model.hostOnlyNets.find((n) => n.name === name);
    const apply = (n: FakeHostOnlyNet) => {
      n.netmask = opts.get('netmask')?.[0] ?? n.netmask;
      n.lowerIp = opts.get('lower-ip')?.[0] ?? n.lowerIp;
      n.upperIp = opts.get('upper-ip')?.[0] ?? n.upperIp;
      if (flags.has('enable')) n.enabled = true;
      if (flags.has('disable')) n.enabled = false;
    };
    switch (sub) {
      case 'add': {
        if (existing) fail(`Host-only network '${name}' already exists`);
        const n: FakeHostOnlyNet = { name, id: opts.get('id')?.[0] ?? randomUUID(), netmask: '', lowerIp: '', upperIp: '', enabled: true };
        apply(n);
        if (!n.netmask || !n.lowerIp || !n.upperIp) syntax('hostonlynet add: --netmask, --lower-ip and --upper-ip are required');
        this.model.hostOnlyNets.push(n);
        return '';
      }
      case 'modify':
        if (!existing) fail(`Host-only network '${name}' not found`);
        apply(existing!);
        return '';
      case 'remove':
        if (!existing) fail(`Host-only network '${name}' not found`);
        this.model.hostOnlyNets = this.model.hostOnlyNets.filter((n) => n !== existing);
        return '';
      default:
        return syntax(`Invalid parameter '${sub ?? ''}'`);
    }
  }

  private dhcpServer(args: string[]): string {
    const [sub, ...rest] = args;
    const { opts, flags } = options(rest);
    const one = (...names: string[]) => names.map((n) => opts.get(n)?.[0]).find((v) => v !== undefined);
    const networkName = one('netname', 'network') ?? (one('ifname', 'interface') ? `HostInterfaceNetworking-${one('ifname', 'interface')}` : undefined) ?? syntax('dhcpserver: missing --netname');
    const existing = this.model.dhcpServers.find((d) => d.networkName === networkName);
    const apply = (d: FakeDhcpServer) => {
      d.ip = one('ip', 'server-ip') ?? d.ip;
      d.netmask = one('netmask') ?? d.netmask;
      d.lowerIp = one('lowerip', 'lower-ip') ?? d.lowerIp;
      d.upperIp = one('upperip', 'upper-ip') ?? d.upperIp;
      if (flags.has('enable')) d.enabled = true;
      if (flags.has('disable')) d.enabled = false;
    };
    switch (sub) {
      case 'add': {
        if (existing) fail('DHCP server already exists');
        const d: FakeDhcpServer = { networkName, ip: '', netmask: '', lowerIp: '', upperIp: '', enabled: false };
        apply(d);
        this.model.dhcpServers.push(d);
        return '';
      }
      case 'modify':
        if (!existing) fail(`DHCP server does not exist`);
        apply(existing!);
        return '';
      case 'remove':
        if (!existing) fail(`DHCP server does not exist`);
        this.model.dhcpServers = this.model.dhcpServers.filter((d) => d !== existing);
        return '';
      default:
        return syntax(`Invalid parameter '${sub ?? ''}'`);
    }
  }

  // ---- power ----

  /** The login the guest will have: from the cloud-init seed on the DVD, or boot2docker's tar on the disk. */
  private guestLogin(vm: FakeVM): { user: string; keys: string[] } {
    for (const a of Object.values(vm.attachments)) {
      if (a.type !== 'dvddrive') continue;
      const iso = readIso(fs.readFileSync(a.medium));
      const userData = iso && iso.label.toLowerCase() === 'cidata' ? iso.files.get('user-data') : undefined;
      const login = userData ? cloudInitLogin(userData.toString('utf8')) : undefined;
      if (login) return login;
    }
    for (const a of Object.values(vm.attachments)) {
      if (a.type !== 'hdd') continue;
      const disk = fs.readFileSync(a.medium).subarray(512);
      if (!disk.subarray(0, 100).toString('latin1').startsWith(BOOT2DOCKER_MAGIC)) continue;
      const keys: string[] = [];
      // ustar: 512-byte headers, name at 0, size (octal) at 124.
      for (let at = 0; at + 512 <= disk.length; ) {
        const name = disk.subarray(at, at + 100).toString('latin1').replace(/\0.*$/s, '');
        if (!name) break;
        const size = parseInt(disk.subarray(at + 124, at + 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
        if (name === '.ssh/authorized_keys') keys.push(...disk.subarray(at + 512, at + 512 + size).toString('utf8').split('\n').filter(Boolean));
        at += 512 + Math.ceil(size / 512) * 512;
      }
      return { user: 'docker', keys };
    }
    return { user: 'docker', keys: [] };
  }

  private async startVm(args: string[]): Promise<string> {
    const vm = this.find(args[0]);
    if (vm.state === 'running' || vm.state === 'paused') {
      fail(`The machine '${vm.name}' is already locked by a session (or being locked or unlocked)`, 'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports');
    }
    for (const [n, nic] of Object.entries(vm.nics)) {
      if (nic.type === 'hostonlynet' && !this.model.hostOnlyNets.some((x) => x.name === nic.hostonlynetwork && x.enabled)) {
        fail(`Failed to open/create the internal network 'hostonly-${nic.hostonlynetwork}' (VERR_INTERNAL_ERROR).`, `Failed to attach the network LUN (VERR_INTERNAL_ERROR)`, `Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, interface IConsole (nic${n})`);
      }
      if (nic.type !== 'hostonly') continue;
      if (!this.model.hostOnlyIfs.some((i) => i.name === nic.hostonlyadapter)) {
        fail(
          `Failed to open/create the internal network 'HostInterfaceNetworking-${nic.hostonlyadapter}' (VERR_INTERNAL_ERROR).`,
          `Failed to attach the network LUN (VERR_INTERNAL_ERROR)`,
          `Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, interface IConsole (nic${n})`,
        );
      }
    }
    for (const f of vm.forwards) {
      const free = await new Promise<boolean>((resolve) => {
        const probe = net.createServer();
        probe.once('error', () => resolve(false));
        probe.listen(f.hostPort, f.hostIp || '127.0.0.1', () => probe.close(() => resolve(true)));
      });
      // Real VirtualBox starts anyway and only logs the NAT failure; then SSH never answers. Saying so is kinder to a test.
      if (!free) fail(`NAT#0: configuration error: failed to set up redirection of ${f.hostPort} to ${f.guestPort}. Probably a conflict with existing services or other rules (VERR_NAT_REDIR_SETUP).`);
    }
    let host = this.live.get(vm.uuid);
    if (host) {
      await host.start();
    } else {
      const login = this.guestLogin(vm);
      host = await this.opts.hosts.launch({ id: vm.uuid, user: login.user, authorizedKeys: login.keys, image: 'virtualbox' });
      this.live.set(vm.uuid, host);
    }
    await this.openForwards(vm, host);
    vm.state = 'running';
    vm.stateChanged = new Date().toISOString();
    this.reportAddress(vm, host.ip);
    return `Waiting for VM "${vm.name}" to power on...\nVM "${vm.name}" has been successfully started.\n`;
  }

  private async openForwards(vm: FakeVM, host: BackingHost): Promise<void> {
    const servers: net.Server[] = [];
    for (const f of vm.forwards.filter((x) => x.proto === 'tcp')) {
      const server = net.createServer((client) => {
        const key = `${vm.uuid}/${f.name}`;
        this.forwardedConnections.set(key, (this.forwardedConnections.get(key) ?? 0) + 1);
        const upstream = net.connect({ host: host.ip, port: f.guestPort });
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', close);
        upstream.on('error', close);
        client.on('close', close);
        upstream.on('close', close);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(f.hostPort, f.hostIp || '127.0.0.1', () => resolve());
      });
      servers.push(server);
    }
    this.tcpForwards.set(vm.uuid, servers);
  }

  private closeForwards(vm: FakeVM): void {
    for (const s of this.tcpForwards.get(vm.uuid) ?? []) s.close();
    this.tcpForwards.delete(vm.uuid);
  }

  /** The guest's address, where the driver looks for it: a guest property, and the host-only DHCP server's lease. */
  private reportAddress(vm: FakeVM, ip: string): void {
    if (this.noIp) return;
    if (this.opts.guestAdditions !== false) vm.guestProperties[IP_PROPERTY] = ip;
    // A host-only network (VirtualBox 7 on macOS) leases through the host's own DHCP service, not VirtualBox's.
    const nic = Object.values(vm.nics).find((n) => n.type === 'hostonly');
    if (!nic || !this.dhcpFor(nic.hostonlyadapter)?.enabled) return;
    const file = path.join(this.userHome, `HostInterfaceNetworking-${nic.hostonlyadapter}-Dhcpd.leases`);
    const others = fs.existsSync(file) ? [...fs.readFileSync(file, 'utf8').matchAll(/ {2}<Lease [\s\S]*?<\/Lease>\n/g)].map((m) => m[0]).filter((l) => !l.includes(`mac="${this.colonMac(nic.mac)}"`)) : [];
    const lease = `  <Lease mac="${this.colonMac(nic.mac)}" id="01${nic.mac.toLowerCase()}" network="0.0.0.0" state="acked">\n    <Address value="${ip}"/>\n    <Time issued="${Math.floor(Date.now() / 1000)}" expiration="600"/>\n  </Lease>\n`;
    fs.writeFileSync(file, `<?xml version="1.0"?>\n<Leases version="1.0">\n${[...others, lease].join('')}</Leases>\n`);
  }

  private colonMac(mac: string): string {
    return mac.toLowerCase().match(/../g)!.join(':');
  }

  private async powerOff(vm: FakeVM, state: VMState = 'poweroff'): Promise<void> {
    this.closeForwards(vm);
    await this.live.get(vm.uuid)?.stop();
    vm.state = state;
    vm.stateChanged = new Date().toISOString();
    for (const k of Object.keys(vm.guestProperties)) if (k.startsWith('/VirtualBox/GuestInfo/')) delete vm.guestProperties[k];
  }

  private async controlVm(args: string[]): Promise<string> {
    const [name, action] = args;
    const vm = this.find(name);
    const running = vm.state === 'running' || vm.state === 'paused' || vm.state === 'stopping';
    if (!running) fail(`Machine '${vm.name}' is not currently running`);
    switch (action) {
      case 'poweroff':
        await this.powerOff(vm);
        return '';
      case 'acpipowerbutton':
        if (!this.ignoreAcpi && vm.state === 'running') {
          vm.state = 'stopping';
          // The guest shuts down on its own time, as a real one does after the button.
          setTimeout(() => {
            void this.serialised(async () => {
              if (vm.state === 'stopping') await this.powerOff(vm);
              this.save();
            });
          }, this.opts.acpiShutdownMs ?? 200);
        }
        return '';
      case 'pause':
        vm.state = 'paused';
        return '';
      case 'resume':
        vm.state = 'running';
        return '';
      default:
        return syntax(`Invalid parameter '${action ?? ''}'`);
    }
  }

  private async unregisterVm(args: string[]): Promise<string> {
    const { positional, flags } = options(args);
    const vm = this.find(positional[0]);
    if (vm.state === 'running' || vm.state === 'paused' || vm.state === 'stopping') {
      fail(`Cannot unregister the machine '${vm.name}' while it is locked`, 'Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component MachineWrap, interface IMachine, callee nsISupports');
    }
    this.closeForwards(vm);
    const host = this.live.get(vm.uuid);
    this.live.delete(vm.uuid);
    await host?.destroy();
    this.model.vms = this.model.vms.filter((v) => v !== vm);
    if (flags.has('delete')) {
      for (const a of Object.values(vm.attachments)) {
        if (a.type !== 'hdd') continue;
        fs.rmSync(a.medium, { force: true });
        this.model.media = this.model.media.filter((m) => m.path !== a.medium);
      }
      fs.rmSync(path.dirname(vm.settingsFile), { recursive: true, force: true });
      return progress;
    }
    return '';
  }
}

export async function startFakeVirtualBox(dir: string, opts: FakeVirtualBoxOptions): Promise<FakeVirtualBox> {
  const fake = new FakeVirtualBox(dir, opts);
  await fake.start();
  return fake;
}
