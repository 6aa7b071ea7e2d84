// Docker Machine's BaseDriver fields, which every reference driver's state
// opens with: scripts read them whatever the driver
// (`inspect -f '{{.Driver.IPAddress}}'`, `{{.Driver.SSHPort}}`), and
// `inspect` prints them first, in this order.
import type { MachineRef } from './types';

// A type, not an interface: a driver's state built on it must stay assignable to JsonObject.
export type BaseDriverState = {
  IPAddress: string;
  MachineName: string;
  SSHUser: string;
  SSHPort: number;
  SSHKeyPath: string;
  /** The store root, as the reference records it. */
  StorePath: string;
  SwarmMaster: boolean;
  SwarmHost: string;
  SwarmDiscovery: string;
};

/**
 * The BaseDriver fields in the reference's order, for a driver's state to
 * open with (`{ ...baseDriverState(machine, {...}), OwnField }`). The
 * machine's name and store path come from `machine`; what is not given is
 * empty, as in the reference's own zero values. Swarm lives in the core's
 * HostOptions.SwarmOptions, so the Swarm* fields stay empty unless given.
 */
export function baseDriverState(machine: Pick<MachineRef, 'name' | 'storePath'>, fields: Partial<BaseDriverState> = {}): BaseDriverState {
  return {
    IPAddress: fields.IPAddress ?? '',
    MachineName: fields.MachineName ?? machine.name,
    SSHUser: fields.SSHUser ?? '',
    SSHPort: fields.SSHPort ?? 0,
    SSHKeyPath: fields.SSHKeyPath ?? '',
    StorePath: fields.StorePath ?? machine.storePath,
    SwarmMaster: fields.SwarmMaster ?? false,
    SwarmHost: fields.SwarmHost ?? '',
    SwarmDiscovery: fields.SwarmDiscovery ?? '',
  };
}
