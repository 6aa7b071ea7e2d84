// Reading certificates without node-forge: Node's X509Certificate parses a
// PEM in well under a millisecond, so the hot commands (env, config, ls) can
// check that a machine's server certificate still names its IP.
import * as fs from 'node:fs';
import { certificateOf } from './x509';

export interface CertSANs {
  ips: string[];
  dns: string[];
}

export function readCertSANs(pem: string | Buffer): CertSANs {
  const x = certificateOf(pem);
  return parseSubjectAltName(x.subjectAltName ?? '');
}

/** Parses Node's "DNS:a, IP Address:1.2.3.4" rendering. */
export function parseSubjectAltName(s: string): CertSANs {
  const out: CertSANs = { ips: [], dns: [] };
  for (const part of s.split(/,\s*/)) {
    const i = part.indexOf(':');
    if (i < 0) continue;
    const kind = part.slice(0, i).trim();
    let value = part.slice(i + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (kind === 'IP Address') out.ips.push(normalizeIP(value));
    else if (kind === 'DNS') out.dns.push(value.toLowerCase());
  }
  return out;
}

/**
 * An IPv6 literal in canonical form, or undefined when `ip` is not one.
 * Not net.isIPv6: its first call compiles a very large regular expression
 * (about 15 ms, a tenth of `env`'s whole run); the URL parser validates
 * IPv6 natively, and canonicalises while it does.
 */
function canonicalIPv6(ip: string): string | undefined {
  if (!ip.includes(':')) return undefined;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function normalizeIP(ip: string): string {
  // Node prints IPv6 SANs fully expanded; compare in one canonical form.
  return canonicalIPv6(ip) ?? ip;
}

/** Dotted-quad IPv4, as net.isIPv4 reads it; node:net itself would load Node's streams for `ls -q`. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isIPAddress(host: string): boolean {
  return IPV4.test(host) || canonicalIPv6(host) !== undefined;
}

/** Whether `host` (an IP or a DNS name) is among the certificate's SANs. */
export function sansCover(sans: CertSANs, host: string): boolean {
  if (isIPAddress(host)) return sans.ips.includes(normalizeIP(host));
  const h = host.toLowerCase();
  return sans.dns.some((d) => d === h || (d.startsWith('*.') && h.endsWith(d.slice(1)) && h.split('.').length === d.split('.').length));
}

export interface CertIPCheck {
  ok: boolean;
  /** The SANs the certificate holds, for the message. */
  sans?: CertSANs;
  /** Set when the certificate could not be read at all. */
  error?: string;
}

/** Does the server certificate at `certPath` cover `host`? */
export function checkServerCertHost(certPath: string, host: string): CertIPCheck {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(certPath);
  } catch (e) {
    return { ok: false, error: `cannot read ${certPath}: ${(e as Error).message}` };
  }
  try {
    const sans = readCertSANs(pem);
    return { ok: sansCover(sans, host), sans };
  } catch (e) {
    return { ok: false, error: `${certPath} is not a valid certificate: ${(e as Error).message}` };
  }
}

/** The message env, config and ls show when a machine's IP left its certificate. */
export function certMismatchMessage(name: string, host: string, sans: CertSANs | undefined): string {
  const held = sans ? [...sans.ips, ...sans.dns].join(', ') : 'unknown';
  return `The certificate of machine "${name}" is not valid for its current address ${host} (it was issued for ${held}). Run "machine regenerate-certs ${name}" to fix it.`;
}

/** Whether a certificate is past its NotAfter (or unreadable). */
export function certExpired(pem: string | Buffer, now = new Date()): boolean {
  try {
    const x = certificateOf(pem);
    return new Date(x.validTo).getTime() <= now.getTime();
  } catch {
    return true;
  }
}
