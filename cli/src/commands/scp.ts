import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';

/** --delta needs rsync here and on the machine; without it the copy falls back to scp. */
async function rsyncOnBothSides(access: import('../command/ssh-access').SshAccess | undefined, warn: (s: string) => void): Promise<boolean> {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status !== 0) {
    warn('rsync is not installed here; copying with scp instead of --delta.');
    return false;
  }
  if (!access) return true;
  const { SshConnection } = await import('../ssh/client');
  const conn = await SshConnection.connect(
    { host: access.info.host, port: access.info.port, user: access.info.user, keyPath: access.info.keyPath || undefined },
    { hostKey: { expected: access.hostKey, machineName: access.host.Name } },
  );
  try {
    const r = await conn.exec('command -v rsync');
    if (r.code !== 0) warn(`rsync is not installed on "${access.host.Name}"; copying with scp instead of --delta.`);
    return r.code === 0;
  } finally {
    conn.close();
  }
}

export const spec: CommandSpec = {
  id: 'scp',
  summary: 'Copy files between machines',
  description: 'Copies between a machine and a local path, or between two machines, with the system\'s scp (or rsync with --delta).',
  examples: ['<%= config.bin %> scp ./app.conf dev:/tmp/app.conf', '<%= config.bin %> scp -r dev:/var/log/app ./logs'],
  usage: 'scp [-r] [-d] [-q] [[user@]machine:][path] [[user@]machine:][path]',
  // Counted in run(), with the reference's text.
  args: [
    { name: 'from', description: '[[user@]machine:][path]' },
    { name: 'to', description: '[[user@]machine:][path]' },
  ],
  extraWords: true,
  flags: {
    recursive: { type: 'boolean', char: 'r', description: 'Copy files recursively (required to copy directories)' },
    delta: { type: 'boolean', char: 'd', description: 'Reduce amount of data sent over network by sending only the differences (uses rsync)' },
    quiet: { type: 'boolean', char: 'q', description: 'Disables the progress meter as well as warning and diagnostic messages from ssh' },
  },
  async run(ctx, { args, flags }) {
    if (args.length !== 2) throw new MachineError('usage', 'Improper number of arguments');
    const { parseLocation, scpCommand } = await import('../lifecycle/copy');
    const { ensureHostKey, loadNamedForCopy, sshAccess } = await import('../command/ssh-access');
    const { externalSshOptions, writeKnownHosts } = await import('../ssh/external');
    const src = parseLocation(args[0]);
    const dst = parseLocation(args[1]);
    const sides = [src, dst];
    loadNamedForCopy(ctx, sides.flatMap((l) => (l.machine ? [l.machine] : [])));
    const accesses = await Promise.all(sides.map((l) => (l.machine ? sshAccess(ctx, l.machine) : Promise.resolve(undefined))));
    // Every machine end gets a recorded key (on first use if need be), so checking is strict for each.
    for (const a of accesses) if (a) await ensureHostKey(ctx, a);
    // One known_hosts and one option set for both ends: scp takes a single set.
    const known = accesses.flatMap((a) => (a?.hostKey ? [{ host: a.info.host, port: a.info.port, key: a.hostKey }] : []));
    let knownFile: string | undefined;
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const tmp = mkdtempSync(join(tmpdir(), 'machine-scp-'));
    try {
      if (known.length > 0) {
        knownFile = join(tmp, 'known_hosts');
        writeKnownHosts(knownFile, known);
      }
      const keyPaths = accesses.flatMap((a) => (a?.info.keyPath ? [a.info.keyPath] : []));
      const options = externalSshOptions({ keyPaths }, knownFile);
      const ends = sides.map((l, i) => (accesses[i] ? { host: accesses[i].info.host, port: accesses[i].info.port, user: l.user ?? accesses[i].info.user } : undefined));
      const recursive = flags.recursive === true;
      const quiet = flags.quiet === true;
      const delta = flags.delta === true && (await rsyncOnBothSides(accesses.find(Boolean), ctx.err));
      const cmd = scpCommand({ loc: src, end: ends[0] }, { loc: dst, end: ends[1] }, options, { recursive, quiet, delta });
      const { spawn } = await import('node:child_process');
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(cmd.program, cmd.args, { stdio: 'inherit' });
        child.once('error', (err) =>
          reject(new MachineError('usage', `You must have a copy of the ${cmd.program} binary locally to use the scp feature (${err.message})`)),
        );
        child.once('exit', (c) => resolve(c ?? 1));
      });
      return code;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
