import { MachineError } from '../errors';
import type { CommandSpec } from '../command/spec';
import { clientEndpoint } from '../query/machine-info';
import { detectShell, shellSyntax } from '../format/shell';
import { invokedAs } from '../command/invocation';
import { parseDockerURL } from '../certs/tls-check';
import { jsonDocument } from '../format/json';

export const spec: CommandSpec = {
  id: 'env',
  summary: 'Display the commands to set up the environment for the Docker client',
  description:
    'Prints shell commands that point the docker client at a machine: eval "$(machine env NAME)". ' +
    'The URL comes from the last one the driver reported when that daemon still answers with the machine\'s certificate; otherwise the driver is asked.',
  examples: ['eval "$(<%= config.bin %> env dev)"', '<%= config.bin %> env --shell fish dev | source', 'eval "$(<%= config.bin %> env -u)"'],
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  // More than one name is refused by targetName, with the reference's text.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    swarm: { type: 'boolean', description: 'Point at the machine\'s swarm: a swarm-mode manager\'s engine (a worker\'s manager), or a Swarm classic master' },
    shell: { type: 'string', description: 'Force environment to be configured for a specified shell: [fish, cmd, powershell, tcsh, emacs], default is auto-detect', helpValue: '<shell>' },
    unset: { type: 'boolean', char: 'u', description: 'Unset variables instead of setting them' },
    'no-proxy': { type: 'boolean', description: 'Add machine IP to NO_PROXY environment variable' },
    json: { type: 'boolean', description: 'Print the variables as one JSON object instead of shell commands (null: unset)' },
  },
  async run(ctx, { flags, args }) {
    const unset = flags.unset === true;
    const json = flags.json === true;
    if (unset && args.length > 0) throw new MachineError('usage', 'Error: Expected no machine name when the -u flag is present');
    // --json needs no shell. As in the reference, unsetting asks for the shell
    // first, setting only once the machine passed its connection check.
    const shell = () => (json ? undefined : shellSyntax(detectShell(flags.shell as string | undefined, ctx.env, ctx.out)));
    // The reference takes no_proxy only when it holds something, else NO_PROXY.
    const noProxyVar = ctx.env.no_proxy ? 'no_proxy' : 'NO_PROXY';
    // In order: the value to set, or null to unset.
    const vars: Array<[string, string | null]> = [];
    let sh: ReturnType<typeof shell>;
    if (unset) {
      sh = shell();
      for (const v of ['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME']) vars.push([v, null]);
      if (process.platform === 'win32') vars.push(['COMPOSE_CONVERT_WINDOWS_PATHS', null]);
      if (flags['no-proxy'] === true) vars.push([noProxyVar, null]);
    } else {
      const { name, url } = await clientEndpoint(ctx, args, flags.swarm === true, 'Error checking TLS connection');
      sh = shell();
      vars.push(['DOCKER_TLS_VERIFY', '1']);
      vars.push(['DOCKER_HOST', url]);
      // The machine's directory in the store this command reads, as the
      // reference prints it, even when the record was written elsewhere.
      vars.push(['DOCKER_CERT_PATH', ctx.store.machineDir(name)]);
      vars.push(['DOCKER_MACHINE_NAME', name]);
      if (process.platform === 'win32') vars.push(['COMPOSE_CONVERT_WINDOWS_PATHS', 'true']);
      if (flags['no-proxy'] === true) {
        const ip = parseDockerURL(url).host;
        const current = ctx.env[noProxyVar] ?? '';
        const value = current.includes(ip) ? current : current ? `${current},${ip}` : ip;
        vars.push([noProxyVar, value]);
      }
    }
    if (!sh) {
      ctx.out(jsonDocument(Object.fromEntries(vars)));
      return;
    }
    const lines = vars.map(([k, v]) => (v === null ? sh.unset(k) : sh.set(k, v)));
    lines.push(`${sh.comment} Run this command to configure your shell: `);
    lines.push(`${sh.comment} ${sh.usage([invokedAs(), ...ctx.invocation.slice(1)])}`);
    ctx.out(lines.join('\n'));
  },
};
