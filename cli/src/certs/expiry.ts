/**
 * Certificate lifetimes: when the CA, the client certificate and each
 * machine's server certificate run out. Dates come from the certificates
 * themselves; `now` is a parameter so callers (and tests) choose the clock.
 */
import * as fs from 'node:fs';
import { certificateOf } from './x509';

/** ls warns this many days before a server certificate expires. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertExpiry {
  path: string;
  notAfter?: Date;
  /** Whole days left, negative once expired. */
  daysLeft?: number;
  /** Why the certificate could not be read. */
  error?: string;
}

export function certExpiry(file: string, now = new Date()): CertExpiry {
  try {
    const cert = certificateOf(fs.readFileSync(file));
    const notAfter = new Date(cert.validTo);
    return { path: file, notAfter, daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path: file, error: code === 'ENOENT' ? 'missing' : 'unreadable' };
  }
}

function warning(e: CertExpiry, what: string, fix: string): string | undefined {
  if (e.daysLeft === undefined || !e.notAfter) return undefined;
  const day = e.notAfter.toISOString().slice(0, 10);
  if (e.daysLeft < 0) return `${what} expired on ${day}: run "${fix}"`;
  if (e.daysLeft <= EXPIRY_WARNING_DAYS) return `${what} expires in ${e.daysLeft} days (${day}): run "${fix}"`;
  return undefined;
}

/** The warning ls shows for a server certificate, if it is due one. */
export function expiryWarning(e: CertExpiry): string | undefined {
  return warning(e, 'server certificate', 'machine regenerate-certs');
}

/**
 * The warning ls shows on every machine the CA signed when the CA is due
 * one: an expired CA fails every machine's TLS check at once, and renewing
 * it re-issues them all.
 */
export function caExpiryWarning(e: CertExpiry): string | undefined {
  return warning(e, 'the CA', 'machine regenerate-certs --client-certs');
}
