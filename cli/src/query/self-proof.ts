// Whether a machine can prove that it runs without its driver: the CLI
// remembers the URL a driver last reported (LastURL, written only by commands
// that change the machine), and a daemon there that presents this machine's
// own server certificate proves both that the machine runs and that the
// address is still its own (machine-info.ts makes that check). Kept apart,
// with nothing but fs, because bin/run.js asks it before the CLI loads.
import * as fs from 'node:fs';

/** The parts of a stored machine this check reads (config.json, parsed). */
export interface ProofRecord {
  Machine?: { LastURL?: unknown; LastIP?: unknown };
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

/**
 * The remembered IP, when there is a URL to prove and an IP was remembered
 * with it. Whether the IP is the URL's host, which the proof then covers,
 * is machine-info.ts's to check: this one runs before the CLI loads.
 */
export function rememberedIP(record: ProofRecord): string | undefined {
  const ip = record.Machine?.LastIP;
  return typeof ip === 'string' && ip !== '' && urlToProve(record) !== undefined ? ip : undefined;
}
