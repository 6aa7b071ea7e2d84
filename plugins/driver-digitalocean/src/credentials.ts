// Where the API token comes from, in the order DigitalOcean users keep it:
// the flag (the CLI also fills it from DIGITALOCEAN_ACCESS_TOKEN), the
// variable itself (when the driver is started without the CLI), then doctl's
// config file: `access-token` for the default context, `auth-contexts` for
// the others, and the file's `context` as the current one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DriverError } from '@machine/driver-sdk';

export const DEFAULT_CONTEXT = 'default';

export interface TokenSource {
  token: string;
  /** Set when the token came from doctl's config file. */
  doctlContext?: string;
}

/** doctl's config file: $XDG_CONFIG_HOME/doctl/config.yaml, ~/.config/doctl/config.yaml, or on macOS ~/Library/Application Support/doctl/config.yaml. */
export function doctlConfigPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'doctl', 'config.yaml');
  const linux = path.join(home, '.config', 'doctl', 'config.yaml');
  if (process.platform === 'darwin' && !fs.existsSync(linux)) return path.join(home, 'Library', 'Application Support', 'doctl', 'config.yaml');
  return linux;
}

interface DoctlConfig {
  'access-token'?: unknown;
  'auth-contexts'?: unknown;
  context?: unknown;
}

function readDoctlConfig(file: string): DoctlConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    // Loaded here only: most calls never need a YAML parser.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const parsed: unknown = (require('yaml') as typeof import('yaml')).parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as DoctlConfig) : {};
  } catch (err) {
    throw new DriverError('invalid-argument', `doctl's config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      flag: 'digitalocean-access-token',
      detail: 'Fix or remove the file, or give the token with --digitalocean-access-token or DIGITALOCEAN_ACCESS_TOKEN.',
    });
  }
}

/** The token of a doctl context, or undefined when the file or the context has none. */
export function tokenFromDoctl(context: string | undefined, file = doctlConfigPath()): TokenSource | undefined {
  const config = readDoctlConfig(file);
  if (!config) {
    if (context === undefined) return undefined;
    throw new DriverError('invalid-argument', `--digitalocean-context "${context}" names a doctl context, but there is no doctl config file at ${file}`, {
      flag: 'digitalocean-context',
      detail: `Run "doctl auth init --context ${context}", or give the token with --digitalocean-access-token.`,
    });
  }
  const name = context ?? (typeof config.context === 'string' && config.context !== '' ? config.context : DEFAULT_CONTEXT);
  let token: unknown;
  if (name === DEFAULT_CONTEXT) token = config['access-token'];
  else if (config['auth-contexts'] && typeof config['auth-contexts'] === 'object') token = (config['auth-contexts'] as Record<string, unknown>)[name];
  if (typeof token !== 'string' || token.trim() === '') {
    if (context !== undefined) {
      throw new DriverError('invalid-argument', `doctl has no token for the context "${context}" in ${file}: check --digitalocean-context, or run "doctl auth init --context ${context}"`, {
        flag: 'digitalocean-context',
      });
    }
    return undefined;
  }
  return { token: token.trim(), doctlContext: name };
}

/** Resolves the token for configure; fails with the flag to set when there is none. */
export function resolveToken(flagToken: string | undefined, context: string | undefined, env: NodeJS.ProcessEnv = process.env): TokenSource {
  if (flagToken) return { token: flagToken };
  // A context asks for doctl's token explicitly, over the variable.
  const fromEnv = env.DIGITALOCEAN_ACCESS_TOKEN?.trim();
  if (fromEnv && context === undefined) return { token: fromEnv };
  const file = doctlConfigPath(env);
  const doctl = tokenFromDoctl(context, file);
  if (doctl) return doctl;
  throw new DriverError('invalid-argument', 'digitalocean driver requires the --digitalocean-access-token option', {
    flag: 'digitalocean-access-token',
    detail: `Set --digitalocean-access-token or DIGITALOCEAN_ACCESS_TOKEN, or log in with "doctl auth init" (read from ${file}).`,
  });
}

/** The token for an API call: the stored one, or doctl's current token for the stored context. */
export function tokenFor(state: { AccessToken?: string; DoctlContext?: string }, env: NodeJS.ProcessEnv = process.env): string {
  if (state.AccessToken) return state.AccessToken;
  if (state.DoctlContext) {
    const file = doctlConfigPath(env);
    const doctl = (() => {
      try {
        return tokenFromDoctl(state.DoctlContext, file);
      } catch {
        return undefined;
      }
    })();
    if (doctl) return doctl.token;
  }
  const fromEnv = env.DIGITALOCEAN_ACCESS_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  throw new DriverError('unauthenticated', 'no DigitalOcean token for this machine: its doctl context has no token any more', {
    flag: 'digitalocean-access-token',
    detail: `Log in again with "doctl auth init${state.DoctlContext && state.DoctlContext !== DEFAULT_CONTEXT ? ` --context ${state.DoctlContext}` : ''}", or set DIGITALOCEAN_ACCESS_TOKEN.`,
  });
}
