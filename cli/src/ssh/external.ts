// Arguments for the system's OpenSSH tools (ssh, scp, rsync, sshfs), used
// with --native-ssh=false and by scp and mount. The reference disabled
// host-key checking entirely; here, when a key was recorded, it is written
// to the machine's own known_hosts file and checking is strict.
import { writeFileSync } from 'node:fs';
import { shellQuote } from '../format/quote';
import { knownHostsLine } from './hostkey';

export { shellQuote };
import type { SshTarget } from './client';

export interface KnownHost {
  host: string;
  port: number;
  /** Recorded key line ("ssh-ed25519 AAAA..."). */
  key: string;
}

/** Writes a known_hosts file holding exactly these keys. */
export function writeKnownHosts(file: string, hosts: KnownHost[]): void {
  writeFileSync(file, hosts.map((h) => knownHostsLine(h.host, h.port, h.key)).join(''), { mode: 0o600 });
}

/**
 * -o options matching the reference's (no config file, no multiplexing,
 * quiet, keys only), with strict host-key checking against `knownHostsFile`
 * when there is one. Port, user and identity come from `target` when given.
 */
export function externalSshOptions(target: Partial<SshTarget> & { keyPaths?: string[] }, knownHostsFile?: string): string[] {
  const keys = [...(target.keyPath ? [target.keyPath] : []), ...(target.keyPaths ?? [])];
  const options = [
    'ConnectionAttempts=3',
    'ConnectTimeout=10',
    'ControlMaster=no',
    'ControlPath=none',
    // ERROR rather than the reference's QUIET: a host-key mismatch must be reported, not a bare exit 255.
    'LogLevel=ERROR',
    'PasswordAuthentication=no',
    'ServerAliveInterval=60',
    ...(knownHostsFile ? ['StrictHostKeyChecking=yes', `UserKnownHostsFile=${knownHostsFile}`] : ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null']),
    ...(keys.length ? ['IdentitiesOnly=yes', ...keys.map((k) => `IdentityFile=${k}`)] : []),
    ...(target.port ? [`Port=${target.port}`] : []),
    ...(target.user ? [`User=${target.user}`] : []),
  ];
  return options.flatMap((o) => ['-o', o]);
}

/** argv for `ssh` (without the program name). */
export function sshArgs(options: string[], host: string, command: string[], tty: boolean): string[] {
  return ['-F', '/dev/null', ...options, ...(tty ? ['-t'] : []), host, ...(command.length ? ['--', ...command] : [])];
}


/** The remote-shell command line rsync's -e expects. */
export function rsyncShell(options: string[]): string {
  return ['ssh', '-F', '/dev/null', ...options].map(shellQuote).join(' ');
}
