// Arguments for the system's OpenSSH tools (ssh, scp, rsync, sshfs), used
// with --native-ssh=false and by scp/mount. The reference disabled host-key
// checking entirely; here, when a key was recorded, it goes into a private
// known_hosts file and checking is strict.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownHostsLine } from './hostkey';
import type { SshTarget } from './client';

export interface ExternalSshContext {
  /** -o options shared by ssh, scp, rsync -e and sshfs. */
  options: string[];
  /** Removes the temporary known_hosts file. */
  cleanup(): void;
}

/**
 * Options matching the reference's (no config file, no multiplexing, quiet,
 * key only), plus strict host-key checking against the recorded key.
 */
export function externalSshOptions(target: SshTarget, recordedHostKey?: string): ExternalSshContext {
  let dir: string | undefined;
  const hostKeyOptions: string[] = [];
  if (recordedHostKey) {
    dir = mkdtempSync(join(tmpdir(), 'machine-ssh-'));
    const file = join(dir, 'known_hosts');
    writeFileSync(file, knownHostsLine(target.host, target.port, recordedHostKey), { mode: 0o600 });
    hostKeyOptions.push('StrictHostKeyChecking=yes', `UserKnownHostsFile=${file}`);
  } else {
    hostKeyOptions.push('StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null');
  }
  const options = [
    'ConnectionAttempts=3',
    'ConnectTimeout=10',
    'ControlMaster=no',
    'ControlPath=none',
    'LogLevel=quiet',
    'PasswordAuthentication=no',
    'ServerAliveInterval=60',
    ...hostKeyOptions,
    ...(target.keyPath ? ['IdentitiesOnly=yes', `IdentityFile=${target.keyPath}`] : []),
    `Port=${target.port}`,
    `User=${target.user}`,
  ].flatMap((o) => ['-o', o]);
  return {
    options,
    cleanup: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** argv for `ssh` (without the program name). */
export function sshArgs(ctx: ExternalSshContext, target: SshTarget, command: string[], tty: boolean): string[] {
  return ['-F', '/dev/null', ...ctx.options, ...(tty ? ['-t'] : []), target.host, ...command];
}

/** The remote-shell command line rsync's -e expects. */
export function rsyncShell(ctx: ExternalSshContext): string {
  return ['ssh', '-F', '/dev/null', ...ctx.options].map(shellQuote).join(' ');
}

/** POSIX single-quoting, for the few places a command line must be a string. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_\-+=/.,:@%]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
