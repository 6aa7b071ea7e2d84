import * as fs from 'node:fs';
import type { CommandSpec } from '../command/spec';
import { MachineError } from '../errors';

export const spec: CommandSpec = {
  id: 'use',
  summary: 'Point the docker client at a machine through a docker context',
  description:
    'Creates or updates the docker context "machine-NAME" with the machine\'s URL and TLS certificates and makes it the current context, ' +
    'so `docker` talks to the machine with no `eval`. --unset makes the default context current again.',
  examples: ['<%= config.bin %> use dev', 'docker ps', '<%= config.bin %> use --unset'],
  args: [],
  variadic: true,
  flags: {
    unset: { type: 'boolean', char: 'u', description: 'Go back to the default docker context' },
  },
  async run(ctx, { args, flags }) {
    const contexts = await import('../contexts/docker-context');
    const configDir = contexts.dockerConfigDir(ctx.env);
    if (flags.unset === true) {
      if (args.length > 0) throw new MachineError('usage', 'Error: Expected no machine name when the --unset flag is present');
      contexts.setCurrentContext(configDir, undefined);
      ctx.out('default');
      return;
    }
    const name = ctx.targetName(args);
    const host = ctx.loadHost(name);
    const { connectionCheck } = await import('../query/machine-info');
    // The same checks as env: a context is only written for a daemon that answers with this machine's certificate.
    const url = await connectionCheck(ctx, host);
    const auth = host.HostOptions.AuthOptions;
    const contextName = contexts.contextNameFor(name);
    contexts.writeContext(configDir, contextName, {
      host: url,
      caPem: fs.readFileSync(auth.CaCertPath, 'utf8'),
      certPem: fs.readFileSync(auth.ClientCertPath, 'utf8'),
      keyPem: fs.readFileSync(auth.ClientKeyPath, 'utf8'),
      description: `machine ${name} (${host.DriverName})`,
      storePath: ctx.store.root,
    });
    contexts.setCurrentContext(configDir, contextName);
    ctx.out(contextName);
    // The docker client lets these override the current context; say so rather than leave the user puzzled.
    for (const v of ['DOCKER_HOST', 'DOCKER_CONTEXT']) {
      if (ctx.env[v]) ctx.err(`Warning: ${v} is set in this shell and overrides the context; unset it (eval "$(machine env -u)") for docker to use "${contextName}".`);
    }
  },
};
