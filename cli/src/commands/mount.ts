import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';

export const spec: CommandSpec = {
  id: 'mount',
  summary: 'Mount or unmount a directory from a machine with SSHFS.',
  description: 'Mounts [machine:][path] (default machine: "default") on a local directory with sshfs; -u unmounts it with fusermount.',
  examples: ['<%= config.bin %> mount dev:/srv/app ./app', '<%= config.bin %> mount -u dev:/srv/app ./app'],
  usage: 'mount [-u] [[user@]machine:][path] [mountpoint]',
  // Counted in run(), with the reference's text.
  args: [
    { name: 'source', description: '[[user@]machine:][path]' },
    { name: 'mountpoint', description: 'local directory (default: the remote path)' },
  ],
  extraWords: true,
  flags: {
    unmount: { type: 'boolean', char: 'u', description: 'Unmount instead of mount' },
  },
  async run(ctx, { args, flags }) {
    if (args.length < 1 || args.length > 2) throw new MachineError('usage', 'Improper number of arguments');
    const source = args[0];
    const { parseLocation, sshfsArgs } = await import('../lifecycle/copy');
    const loc = parseLocation(source.includes(':') ? source : `default:${source}`);
    const mountpoint = args[1] ?? loc.path;
    if (!mountpoint) throw new MachineError('usage', 'Error: give a mount point (or a remote path to reuse as one)');
    const machine = loc.machine ?? 'default';
    const { ensureHostKey, loadNamedForCopy, sshAccess, optionsFor } = await import('../command/ssh-access');
    // The reference loads the machine for -u too.
    loadNamedForCopy(ctx, [machine]);
    const { spawn } = await import('node:child_process');
    const runTool = (program: string, argv: string[]) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(program, argv, { stdio: 'inherit' });
        child.once('error', (err) => reject(new MachineError('usage', `You must have a copy of the ${program} binary locally to use the mount feature (${err.message})`)));
        child.once('exit', (c) => resolve(c ?? 1));
      });
    let code: number;
    if (flags.unmount === true) {
      code = await runTool('fusermount', ['-u', mountpoint]);
    } else {
      const access = await sshAccess(ctx, machine);
      await ensureHostKey(ctx, access);
      const end = { host: access.info.host, port: access.info.port, user: loc.user ?? access.info.user };
      // sshfs takes ssh options as -o NAME=VALUE too, minus the ones it sets itself.
      const options = optionsFor(access).filter((o, i, all) => !(o.startsWith('Port=') || o.startsWith('User=') || (o === '-o' && /^(Port|User)=/.test(all[i + 1] ?? ''))));
      code = await runTool('sshfs', sshfsArgs(end, loc.path || '.', mountpoint, options));
    }
    return code;
  },
};
