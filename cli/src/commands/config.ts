import { MachineError } from '../errors';
import { goQuote } from '../format/quote';
import { parseDockerURL } from '../certs/tls-check';
import { connectionCheck, withHeading } from '../query/machine-info';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'config',
  summary: 'Print the connection config for machine',
  description: 'Prints the docker client flags for a machine, one per line: docker $(machine config NAME) ps',
  examples: ['docker $(<%= config.bin %> config dev) ps'],
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  readOnly: true,
  fastPath: true,
  flags: {
    swarm: { type: 'boolean', description: 'Display the Swarm config instead of the Docker daemon' },
  },
  async run(ctx, { flags, args }) {
    const name = ctx.targetName(args);
    const host = ctx.loadHost(name);
    let url = await connectionCheck(ctx, host).catch((e: unknown) => {
      throw withHeading('Error running connection boilerplate', e);
    });
    if (flags.swarm === true) {
      const so = host.HostOptions.SwarmOptions;
      if (!so.Master) throw new MachineError('usage', `"${name}" is not a swarm master. The --swarm flag is intended for use with swarm masters`);
      url = `tcp://${parseDockerURL(url).host}:${/:(\d+)$/.exec(so.Host)?.[1] ?? '3376'}`;
    }
    const dir = host.HostOptions.AuthOptions.StorePath || ctx.store.machineDir(name);
    const join = (f: string): string => (dir.endsWith('/') ? dir + f : `${dir}/${f}`);
    ctx.out(
      [
        '--tlsverify',
        `--tlscacert=${goQuote(join('ca.pem'))}`,
        `--tlscert=${goQuote(join('cert.pem'))}`,
        `--tlskey=${goQuote(join('key.pem'))}`,
        `-H=${url}`,
      ].join('\n'),
    );
  },
};
