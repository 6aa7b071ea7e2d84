import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';

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
  return (at > 0 ? typed.slice(0, at) : []).map((a) => a.replace(/^--([a-z-]+)=(false|0)$/i, '--no-$1').replace(/^--([a-z-]+)=(true|1)$/i, '--$1'));
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
    'With no command, opens an interactive shell. Otherwise runs the command (everything after the machine name; use -- before commands that start with a dash) and exits with its exit code.',
  usage: 'ssh [MACHINE] [COMMAND...]',
  examples: ['<%= config.bin %> ssh dev', '<%= config.bin %> ssh dev -- ls -la /'],
  args: [],
  variadic: true,
  flags: {},
  // Everything after the machine name belongs to the remote command, so
  // only what precedes it is parsed as flags.
  passThrough(argv) {
    const raw = ownArgv(argv);
    let i = 0;
    while (i < raw.length && raw[i].startsWith('-') && raw[i] !== '--') i += VALUE_FLAGS.has(raw[i]) ? 2 : 1;
    if (raw[i] === '--') i++;
    return { parse: [...globalsBefore(), ...raw.slice(0, Math.min(i, raw.length))], passed: raw.slice(i) };
  },
  async run(ctx, { passed }) {
    const name = passed.length ? passed[0] : ctx.targetName([]);
    const command = passed.slice(1);
    if (command[0] === '--') command.shift();

    const { sshAccess, optionsFor } = await import('../command/ssh-access');
    const access = await sshAccess(ctx, name);
    let code: number;
    if (ctx.global.nativeSsh) {
      const { SshConnection } = await import('../ssh/client');
      const conn = await SshConnection.connect(
        { host: access.info.host, port: access.info.port, user: access.info.user, keyPath: access.info.keyPath || undefined },
        { hostKey: { expected: access.hostKey, machineName: name } },
      );
      try {
        code = await conn.interactive(command.length ? command.join(' ') : undefined);
      } finally {
        conn.close();
      }
    } else {
      const { sshArgs } = await import('../ssh/external');
      const { spawn } = await import('node:child_process');
      const args = sshArgs(optionsFor(access), access.info.host, command, command.length === 0 && process.stdin.isTTY === true);
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
