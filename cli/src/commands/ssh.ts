import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';
import { normaliseBooleanFlag } from '../ssh/args';

/** Global flags that take a value, which may come before the machine name. */
const VALUE_FLAGS = new Set(['-s', '--storage-path', '--tls-ca-cert', '--tls-ca-key', '--tls-client-cert', '--tls-client-key']);

/**
 * The words after "ssh" as the user typed them. bin/run.js moves global
 * flags given before the command to the end, where they would be taken for
 * part of the remote command; the process's own argv still has them in place.
 */
function ownArgv(parsed: string[]): string[] {
  const typed = process.argv.slice(2);
  const at = commandIndex(typed);
  return at >= 0 ? typed.slice(at + 1) : [...parsed];
}

function globalsBefore(): string[] {
  const typed = process.argv.slice(2);
  const at = commandIndex(typed);
  // The reference's spelling of negation, as bin/run.js rewrites it for the other commands.
  return (at > 0 ? typed.slice(0, at) : []).map(normaliseBooleanFlag);
}

function commandIndex(typed: string[]): number {
  let i = 0;
  while (i < typed.length && typed[i].startsWith('-')) i += VALUE_FLAGS.has(typed[i]) ? 2 : 1;
  return typed[i] === 'ssh' ? i : -1;
}

export const spec: CommandSpec = {
  id: 'ssh',
  summary: 'Log into or run a command on a machine with SSH.',
  description:
    'With no command, opens an interactive shell. Otherwise runs the command and exits with its exit code. Options between the machine name and the command go to ssh (and select the system ssh client); the command starts at "--" or at the first word that is not an option.',
  usage: 'ssh [MACHINE] [SSH OPTIONS] [--] [COMMAND...]',
  examples: ['<%= config.bin %> ssh dev', '<%= config.bin %> ssh dev -- ls -la /', '<%= config.bin %> ssh dev -C -L 8080:localhost:80 top'],
  args: [],
  variadic: true,
  flags: {},
  // Only the flags before the machine name are the CLI's; the rest (ssh
  // options, the remote command) is split in run().
  passThrough(argv) {
    const raw = ownArgv(argv);
    let i = 0;
    while (i < raw.length && raw[i].startsWith('-') && raw[i] !== '--') i += VALUE_FLAGS.has(raw[i]) ? 2 : 1;
    i = Math.min(i, raw.length);
    return { parse: [...globalsBefore(), ...raw.slice(0, i).map(normaliseBooleanFlag)], passed: raw.slice(i) };
  },
  async run(ctx, { passed }) {
    const { parseSshCommandLine } = await import('../ssh/args');
    let line: import('../ssh/args').SshCommandLine;
    try {
      line = parseSshCommandLine(passed, VALUE_FLAGS);
    } catch (err) {
      throw MachineError.from(err, 'usage');
    }
    const name = line.name ?? ctx.targetName([]);
    const command = line.command;

    const { ensureHostKey, optionsFor, recordFirstUseHostKey, sshAccess } = await import('../command/ssh-access');
    const access = await sshAccess(ctx, name);
    let code: number;
    // Only the system ssh understands OpenSSH options.
    if (ctx.global.nativeSsh && line.sshOptions.length === 0) {
      const { SshConnection } = await import('../ssh/client');
      const conn = await SshConnection.connect(
        { host: access.info.host, port: access.info.port, user: access.info.user, keyPath: access.info.keyPath || undefined },
        { hostKey: { expected: access.hostKey, machineName: name } },
      );
      try {
        recordFirstUseHostKey(ctx, access, conn.hostKey);
        code = await conn.interactive(command.length ? command.join(' ') : undefined);
      } finally {
        conn.close();
      }
    } else {
      await ensureHostKey(ctx, access);
      const { sshArgs } = await import('../ssh/external');
      const { spawn } = await import('node:child_process');
      const args = sshArgs([...optionsFor(access), ...line.sshOptions], access.info.host, command, command.length === 0 && process.stdin.isTTY === true);
      code = await new Promise<number>((resolve, reject) => {
        const child = spawn('ssh', args, { stdio: 'inherit' });
        child.once('error', (err) =>
          reject(new MachineError('usage', `Cannot run the system ssh (${err.message}); install OpenSSH's client or drop --native-ssh=false.`)),
        );
        child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 + 1 : 255)));
      });
    }
    return code;
  },
};
