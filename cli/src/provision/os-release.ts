// /etc/os-release parsing (os-release(5)): KEY=value lines, values optionally
// quoted with shell quoting rules.

export interface OsRelease {
  id: string;
  idLike: string[];
  versionId: string;
  name: string;
  prettyName: string;
  /** Every key as found, for diagnostics and matching on unusual fields. */
  fields: Record<string, string>;
}

export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) continue;
    fields[key] = unquote(line.slice(eq + 1).trim());
  }
  return {
    id: (fields.ID ?? '').toLowerCase(),
    idLike: (fields.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: fields.VERSION_ID ?? '',
    name: fields.NAME ?? '',
    prettyName: fields.PRETTY_NAME ?? fields.NAME ?? '',
    fields,
  };
}

function unquote(value: string): string {
  if (value.length >= 2 && value[0] === "'" && value.endsWith("'")) return value.slice(1, -1);
  if (value.length >= 2 && value[0] === '"' && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\([\\"$`])/g, '$1');
  }
  return value;
}

/** Compares dotted version strings numerically ("15.04" < "22.04"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
