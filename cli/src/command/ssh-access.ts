// Where and how to reach a machine over SSH, for the ssh, scp and mount
// commands: the driver's SSH info, the recorded host key, and the options
// the system's OpenSSH tools need to verify it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SSHInfo } from '@machine/driver-sdk';
import type { CommandContext } from './context';
import { MachineError } from '../errors';
import { externalSshOptions, writeKnownHosts } from '../ssh/external';
import { fingerprint } from '../ssh/hostkey';
import { fsProblem } from '../store/fs-problem';
import type { HostConfig } from '../store/types';
import { machineCall, setExtra } from '../lifecycle/machine';

export interface SshAccess {
  host: HostConfig;
  info: SSHInfo;
  hostKey?: string;
  /** The machine's known_hosts file (written when a key was recorded). */
  knownHostsFile?: string;
}

/**
 * scp and mount load each machine they name before anything else, and word
 * one that does not load as Docker Machine does: its store error under
 * "Error loading host: ", which the reference's scp and mount both add once more.
 */
export function loadNamedForCopy(ctx: CommandContext, names: readonly string[]): void {
  for (const name of names) {
    try {
      ctx.loadHost(name);
    } catch (e) {
      if (!MachineError.is(e)) throw e;
      throw new MachineError(e.code, `Error loading host: Error loading host: ${e.message}`, { exitCode: e.exitCode });
    }
  }
}

export async function sshAccess(ctx: CommandContext, name: string): Promise<SshAccess> {
  const host = ctx.loadHost(name);
  const driver = await ctx.registry.get(host.DriverName);
  if (driver.metadata.provisioning === 'none') {
    throw new MachineError('usage', `Machine "${name}" uses the ${host.DriverName} driver, which serves its engine itself: it has no SSH access.`);
  }
  const call = machineCall(ctx.store, host);
  const [state, info] = await Promise.all([driver.getState(call, { timeoutMs: 30_000 }), driver.getSSHInfo(call)]);
  if (state !== 'Running') {
    throw new MachineError('not-running', `Error: Cannot run SSH command: Host "${name}" is not running. Start it with "machine start ${name}".`);
  }
  if (info.keyPath) checkKeyPermissions(info.keyPath);
  // A key the driver knows is as good as a recorded one.
  const hostKey = host.Machine?.SSHHostKey || info.hostKey;
  let knownHostsFile: string | undefined;
  if (hostKey) {
    knownHostsFile = path.join(ctx.store.machineDir(name), 'known_hosts');
    writeKnownHosts(knownHostsFile, [{ host: info.host, port: info.port, key: hostKey }]);
  }
  return { host, info, hostKey, knownHostsFile };
}

/** OpenSSH refuses keys others can read; say so before it does, with the fix. */
export function checkKeyPermissions(keyPath: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(keyPath);
  } catch (err) {
    throw new MachineError('usage', fsProblem('the SSH key', keyPath, err));
  }
  if (!st.isFile()) throw new MachineError('usage', `Cannot use the SSH key ${keyPath}: it is ${st.isDirectory() ? 'a directory' : 'not a regular file'}, not a key file.`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new MachineError('usage', `Error: permissions 0${(st.mode & 0o777).toString(8)} for '${keyPath}' are too open. Run "chmod 600 ${keyPath}".`);
  }
}

/**
 * Records the key a machine with no recorded host key presented (machines
 * imported from a Docker Machine store have none), and says so once: from
 * then on the key is checked like any other.
 */
export function recordFirstUseHostKey(ctx: CommandContext, access: SshAccess, seenKey: string): void {
  if (access.hostKey || !seenKey) return;
  const host = ctx.loadHost(access.host.Name);
  if (!host.Machine?.SSHHostKey) {
    setExtra(host, { SSHHostKey: seenKey });
    ctx.store.save(host);
    ctx.err(`Recorded the SSH host key of "${host.Name}" (${fingerprint(seenKey)}) on first use; it is checked from now on.`);
  }
  access.hostKey = host.Machine?.SSHHostKey ?? seenKey;
  access.knownHostsFile = path.join(ctx.store.machineDir(access.host.Name), 'known_hosts');
  writeKnownHosts(access.knownHostsFile, [{ host: access.info.host, port: access.info.port, key: access.hostKey }]);
}

/**
 * For the system's OpenSSH tools, which need the key in a known_hosts file
 * before they connect: a machine with no recorded key is reached once with
 * the native client to learn and record it, so strict checking stays on.
 */
export async function ensureHostKey(ctx: CommandContext, access: SshAccess): Promise<void> {
  if (access.hostKey) return;
  const { SshConnection } = await import('../ssh/client');
  const conn = await SshConnection.connect(
    { host: access.info.host, port: access.info.port, user: access.info.user, keyPath: access.info.keyPath || undefined },
    { hostKey: { machineName: access.host.Name } },
  );
  conn.close();
  recordFirstUseHostKey(ctx, access, conn.hostKey);
}

export function optionsFor(access: SshAccess): string[] {
  return externalSshOptions({ port: access.info.port, user: access.info.user, keyPath: access.info.keyPath || undefined }, access.knownHostsFile);
}
