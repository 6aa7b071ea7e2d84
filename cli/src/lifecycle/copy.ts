// Argument handling for scp and mount: "[[user@]machine:][path]" locations,
// and the command lines of the system's scp, rsync and sshfs.
import { MachineError } from '../errors';
import { bracketHost } from '../format/address';
import { isValidMachineName } from '../names';
import { rsyncShell } from '../ssh/external';

export interface Location {
  /** Machine name; undefined for a local path. */
  machine?: string;
  user?: string;
  path: string;
}

/** "dev:/tmp/x", "docker@dev:x", "./local", "localhost:/tmp/x" (local). */
export function parseLocation(arg: string): Location {
  const colon = arg.indexOf(':');
  // A slash before the first colon means a local path that contains a colon.
  if (colon <= 0 || arg.slice(0, colon).includes('/')) return { path: arg };
  const head = arg.slice(0, colon);
  const path = arg.slice(colon + 1);
  const at = head.lastIndexOf('@');
  const user = at >= 0 ? head.slice(0, at) : undefined;
  const machine = at >= 0 ? head.slice(at + 1) : head;
  if (machine === 'localhost') return { path };
  if (!isValidMachineName(machine)) throw new MachineError('invalid-name', `Invalid machine name "${machine}" in "${arg}"`);
  return { machine, user: user || undefined, path };
}

export interface RemoteEnd {
  host: string;
  port: number;
  user: string;
}


/** An scp URI, which carries its own port; "//" marks an absolute path. */
export function scpURI(end: RemoteEnd, path: string): string {
  return `scp://${end.user}@${bracketHost(end.host)}:${end.port}/${path}`;
}

export interface ScpCommand {
  program: 'scp' | 'rsync';
  args: string[];
}

export function scpCommand(
  src: { loc: Location; end?: RemoteEnd },
  dst: { loc: Location; end?: RemoteEnd },
  options: string[],
  flags: { recursive: boolean; quiet: boolean; delta: boolean },
): ScpCommand {
  const word = (side: { loc: Location; end?: RemoteEnd }) => (side.end ? scpURI(side.end, side.loc.path) : side.loc.path);
  if (flags.delta) {
    if (src.end && dst.end) throw new MachineError('usage', 'Error: --delta (rsync) copies between a machine and a local path, not between two machines');
    const rs = (side: { loc: Location; end?: RemoteEnd }) => (side.end ? `${side.end.user}@${bracketHost(side.end.host)}:${side.loc.path}` : side.loc.path);
    const remote = src.end ?? dst.end;
    const portOpt = remote ? ['-o', `Port=${remote.port}`] : [];
    return {
      program: 'rsync',
      args: [...(flags.quiet ? ['--quiet'] : ['--progress']), ...(flags.recursive ? ['-r'] : []), '-e', rsyncShell([...options, ...portOpt]), rs(src), rs(dst)],
    };
  }
  return {
    program: 'scp',
    args: ['-F', '/dev/null', ...options, '-3', ...(flags.recursive ? ['-r'] : []), ...(flags.quiet ? ['-q'] : []), word(src), word(dst)],
  };
}

export function sshfsArgs(end: RemoteEnd, remotePath: string, mountpoint: string, options: string[]): string[] {
  return [`${end.user}@${bracketHost(end.host)}:${remotePath}`, mountpoint, '-o', `port=${end.port}`, ...options];
}
