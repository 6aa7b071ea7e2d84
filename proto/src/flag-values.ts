// Reading a driver's flag values by their short names. Every driver gets its
// values as FlagValues keyed by the full flag name ("digitalocean-region") and
// turns them into typed state the same way: blank strings count as unset,
// lists are joined with commas, booleans may come as "true"/"1" strings from
// the environment, and a number that is not whole is refused with one line
// naming the flag.
import { DriverError } from './driver';
import type { FlagValue, FlagValues } from './types';

export interface FlagReader {
  /** The full flag name: "region" → "digitalocean-region". */
  flag(name: string): string;
  /** A trimmed string; undefined when unset or blank. Lists come joined with ",". */
  string(name: string): string | undefined;
  /** true/false, also from "true"/"1"/"false"/"0" strings; undefined when unset. */
  bool(name: string): boolean | undefined;
  /** A whole number, `fallback` when unset; anything else is an invalid-argument error naming the flag. */
  int(name: string, fallback: number): number;
  /** An invalid-argument error on the flag, for the driver's own checks. */
  invalid(name: string, summary: string, detail?: string): DriverError;
}

/** A reader for the flags of one driver, whose flags all start with `${prefix}-`. */
export function flagReader(flags: FlagValues, prefix: string): FlagReader {
  const flag = (name: string) => `${prefix}-${name}`;
  const invalid = (name: string, summary: string, detail?: string) => new DriverError('invalid-argument', summary, { flag: flag(name), detail });
  return {
    flag,
    invalid,
    string(name) {
      const v: FlagValue | undefined = flags[flag(name)];
      if (v === undefined || v === null) return undefined;
      const s = (Array.isArray(v) ? v.join(',') : String(v)).trim();
      return s === '' ? undefined : s;
    },
    bool(name) {
      const v = flags[flag(name)];
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && v.trim() !== '') return v.trim() === 'true' || v.trim() === '1';
      return undefined;
    },
    int(name, fallback) {
      const v = flags[flag(name)];
      if (v === undefined || v === null || v === '') return fallback;
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isInteger(n)) throw invalid(name, `--${flag(name)} must be a whole number, not "${String(v)}"`);
      return n;
    },
  };
}
