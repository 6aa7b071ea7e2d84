import { goQuote } from '../format/quote';
import { clientEndpoint } from '../query/machine-info';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';

export const spec: CommandSpec = {
  id: 'config',
  summary: 'Print the connection config for machine',
  description: 'Prints the docker client flags for a machine, one per line: docker $(machine config NAME) ps',
  examples: ['docker $(<%= config.bin %> config dev) ps'],
  args: [{ name: 'name', description: 'machine name (default: "default")' }],
  // Words after the first name are ignored, as the reference ignores them.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    swarm: { type: 'boolean', description: 'Display the Swarm config instead of the Docker daemon' },
    json: { type: 'boolean', description: 'Print the connection (Host, TLS files, docker Args) as one JSON document' },
  },
  async run(ctx, { flags, args }) {
    // Like the reference, config reads only the first name it is given.
    const { name, url } = await clientEndpoint(ctx, args.slice(0, 1), flags.swarm === true, 'Error running connection boilerplate');
    // The files in the machine's directory of the store this command reads, as the reference prints them.
    const dir = ctx.store.machineDir(name);
    const join = (f: string): string => (dir.endsWith('/') ? dir + f : `${dir}/${f}`);
    const files = { ca: join('ca.pem'), cert: join('cert.pem'), key: join('key.pem') };
    const docArgs = ['--tlsverify', `--tlscacert=${goQuote(files.ca)}`, `--tlscert=${goQuote(files.cert)}`, `--tlskey=${goQuote(files.key)}`, `-H=${url}`];
    if (flags.json === true) {
      // Args unquoted: a program passes them to docker as separate words, with no shell in between.
      const plainArgs = ['--tlsverify', `--tlscacert=${files.ca}`, `--tlscert=${files.cert}`, `--tlskey=${files.key}`, `-H=${url}`];
      ctx.out(jsonDocument({ Name: name, Host: url, TLSVerify: true, TLSCACert: files.ca, TLSCert: files.cert, TLSKey: files.key, Args: plainArgs }));
      return;
    }
    ctx.out(docArgs.join('\n'));
  },
};
