// node:crypto on first use. Loading it costs about 5 ms, and modules that
// need it only for some calls (reading a certificate, hashing a context
// name) are reached by commands that never make those calls: `version`,
// `ls -q`, `status` of a stopped machine.
import type * as Crypto from 'node:crypto';

export function crypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:crypto') as typeof Crypto;
}
