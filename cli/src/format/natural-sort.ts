// Case-insensitive natural order ("node2" < "node10"), as ls sorts rows.
//
// Written out rather than Intl.Collator({ numeric: true }) for two reasons.
// Docker Machine cuts names into runs of digits and non-digits and compares
// the runs (numbers by value, text by byte), so "dev2" comes before "dev-2"
// and "a1" before "a-1"; a collator weighs "-" and "." below digits and puts
// them the other way round, and names may contain both. And building the
// first collator loads ICU's collation data, several milliseconds of CPU on
// every `ls`, where this costs nothing.

const CHUNK = /(\d+|\D+)/g;

export function naturalCompare(a: string, b: string): number {
  const ca = a.toLowerCase().match(CHUNK) ?? [];
  const cb = b.toLowerCase().match(CHUNK) ?? [];
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      // Same number, different zero padding: fewer digits first.
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function naturalSort(names: string[]): string[] {
  return [...names].sort(naturalCompare);
}
