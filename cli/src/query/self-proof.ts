// Whether a machine can prove that it runs without its driver: the CLI
// remembers the URL a driver last reported (LastURL, written only by commands
// that change the machine), and a daemon there that presents this machine's
// own server certificate proves both that the machine runs and that the
// address is still its own (machine-info.ts makes that check). Kept apart,
// with nothing but fs, because bin/run.js asks it before the CLI loads.
import * as fs from 'node:fs';

/** The parts of a stored machine this check reads (config.json, parsed). */
export interface ProofRecord {
  Machine?: { LastURL?: unknown };
  HostOptions?: { AuthOptions?: { ServerCertPath?: unknown } };
}

/** The remembered URL, when there is one and a server certificate of the machine's own to check it with. */
export function urlToProve(record: ProofRecord): string | undefined {
  const url = record.Machine?.LastURL;
  const cert = record.HostOptions?.AuthOptions?.ServerCertPath;
  if (typeof url !== 'string' || url === '' || typeof cert !== 'string' || cert === '') return undefined;
  try {
    return fs.statSync(cert).isFile() ? url : undefined;
  } catch {
    return undefined;
  }
}
