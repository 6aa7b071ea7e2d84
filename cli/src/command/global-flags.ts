// The flags every command accepts, as Docker Machine's global options. They
// may come before the command (`machine -s DIR ls`); bin/run.js moves them
// after it for the parsers.
import type { FlagDefs } from './flags';

export const GLOBAL_FLAGS: FlagDefs = {
  'storage-path': {
    type: 'string',
    char: 's',
    env: 'MACHINE_STORAGE_PATH',
    description: 'Configures storage path (default: ~/.docker/machine)',
    helpValue: '<dir>',
  },
  debug: { type: 'boolean', char: 'D', env: 'MACHINE_DEBUG', description: 'Enable debug mode (driver log lines on stderr)' },
  'native-ssh': {
    type: 'boolean',
    env: 'MACHINE_NATIVE_SSH',
    default: true,
    allowNo: true,
    description: 'Use the built-in SSH client; --native-ssh=false uses the system ssh binary',
  },
  'tls-ca-cert': { type: 'string', env: 'MACHINE_TLS_CA_CERT', description: 'CA to verify remotes against (default: <store>/certs/ca.pem)', helpValue: '<file>' },
  'tls-ca-key': { type: 'string', env: 'MACHINE_TLS_CA_KEY', description: 'Private key to generate certificates (default: <store>/certs/ca-key.pem)', helpValue: '<file>' },
  'tls-client-cert': { type: 'string', env: 'MACHINE_TLS_CLIENT_CERT', description: 'Client cert to use for TLS (default: <store>/certs/cert.pem)', helpValue: '<file>' },
  'tls-client-key': { type: 'string', env: 'MACHINE_TLS_CLIENT_KEY', description: 'Private key used in client TLS auth (default: <store>/certs/key.pem)', helpValue: '<file>' },
};

/** Names of global flags that take a value, with their short forms, for argv rewriting. */
export function globalFlagArity(): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const [name, def] of Object.entries(GLOBAL_FLAGS)) {
    const takesValue = def.type !== 'boolean';
    m.set(`--${name}`, takesValue);
    if (def.char) m.set(`-${def.char}`, takesValue);
    if (def.type === 'boolean' && def.allowNo) m.set(`--no-${name}`, false);
  }
  return m;
}
