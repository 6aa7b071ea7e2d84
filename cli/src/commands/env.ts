import { MachineError } from '../errors';
import type { CommandSpec } from '../command/spec';
import { connectionCheck, withHeading } from '../query/machine-info';
import { detectShell, shellSyntax } from '../format/shell';
import { invokedAs } from '../command/invocation';
import { parseDockerURL } from '../certs/tls-check';
import type { HostConfig } from '../store/types';

export const spec: CommandSpec = {
  id: 'env',
  summary: 'Display the commands to set up the environment for the Docker client',
  description:
    'Prints shell commands that point the docker client at a machine: eval "$(machine env NAME)". ' +
    'The URL comes from the last one the driver reported when that daemon still answers with the machine\'s certificate; otherwise the driver is asked.',
  examples: ['eval "$(<%= config.bin %> env dev)"', '<%= config.bin %> env --shell fish dev | source', 'eval "$(<%= config.bin %> env -u)"'],
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  readOnly: true,
  fastPath: true,
  flags: {
    swarm: { type: 'boolean', description: 'Point at the machine\'s swarm: a swarm-mode manager\'s engine (a worker\'s manager), or a Swarm classic master' },
    shell: { type: 'string', description: 'Force environment to be configured for a specified shell: [fish, cmd, powershell, tcsh, emacs], default is auto-detect', helpValue: '<shell>' },
    unset: { type: 'boolean', char: 'u', description: 'Unset variables instead of setting them' },
    'no-proxy': { type: 'boolean', description: 'Add machine IP to NO_PROXY environment variable' },
  },
  async run(ctx, { flags, args }) {
    const unset = flags.unset === true;
    if (unset && args.length > 0) throw new MachineError('usage', 'Error: Expected no machine name when the -u flag is present');
    const shellName = detectShell(flags.shell as string | undefined, ctx.env, ctx.out);
    const sh = shellSyntax(shellName);
    const noProxyVar = ctx.env.no_proxy !== undefined ? 'no_proxy' : 'NO_PROXY';
    const lines: string[] = [];
    if (unset) {
      for (const v of ['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME']) lines.push(sh.unset(v));
      if (process.platform === 'win32') lines.push(sh.unset('COMPOSE_CONVERT_WINDOWS_PATHS'));
      if (flags['no-proxy'] === true) lines.push(sh.unset(noProxyVar));
    } else {
      let name = ctx.targetName(args);
      let host = ctx.loadHost(name);
      const check = (h: HostConfig) =>
        connectionCheck(ctx, h).catch((e: unknown) => {
          throw withHeading('Error checking TLS connection', e);
        });
      let url: string;
      if (flags.swarm === true) {
        const { swarmEndpoint } = await import('../swarm/client-endpoint');
        const all = ctx.store.list().flatMap((e) => (e.host ? [e.host] : []));
        ({ host, url } = await swarmEndpoint(host, all, check));
        name = host.Name;
      } else {
        url = await check(host);
      }
      lines.push(sh.set('DOCKER_TLS_VERIFY', '1'));
      lines.push(sh.set('DOCKER_HOST', url));
      lines.push(sh.set('DOCKER_CERT_PATH', host.HostOptions.AuthOptions.StorePath || ctx.store.machineDir(name)));
      lines.push(sh.set('DOCKER_MACHINE_NAME', name));
      if (process.platform === 'win32') lines.push(sh.set('COMPOSE_CONVERT_WINDOWS_PATHS', 'true'));
      if (flags['no-proxy'] === true) {
        const ip = parseDockerURL(url).host;
        const current = ctx.env[noProxyVar] ?? '';
        const value = current.includes(ip) ? current : current ? `${current},${ip}` : ip;
        lines.push(sh.set(noProxyVar, value));
      }
    }
    lines.push(`${sh.comment} Run this command to configure your shell: `);
    lines.push(`${sh.comment} ${sh.usage([invokedAs(), ...ctx.invocation.slice(1)])}`);
    ctx.out(lines.join('\n'));
  },
};
