// Values as Go's text/template and fmt see them. Docker Machine's ls runs its
// --format over Go structs (HostListItem, *swarm.Options, *engine.Options),
// not maps: a struct prints its fields in declaration order ({a b c}), is
// read by Go field names (DNS, not the JSON key Dns), refuses a field it does
// not have, and a nil pointer prints <nil>. inspect runs over maps read from
// JSON, which plain objects already behave like.

/** Kinds the printer and the comparisons tell apart. */
export type GoKind = 'string' | 'bool' | 'int' | 'float64' | 'slice' | 'struct' | 'duration';

export interface GoField {
  /** Go's field name, the one a template reads. */
  name: string;
  /** The key encoding/json writes (the struct tag), when not the name. */
  json?: string;
  /** The declared type, as Go prints it in errors ("[]string", "*swarm.Options"). */
  type: string;
  kind: GoKind;
  /** For a pointer to a struct: that struct's type. */
  struct?: GoStructType;
}

export interface GoStructType {
  /** "swarm.Options", "commands.HostListItem". */
  name: string;
  fields: GoField[];
}

/** A struct value, or a non-nil pointer to one (`pointer`). */
export class GoStruct {
  constructor(
    readonly type: GoStructType,
    /** By Go field name; a nil slice is null. */
    readonly values: Readonly<Record<string, unknown>>,
    readonly pointer: boolean,
  ) {}

  /** The static type Go names in errors: "*swarm.Options", "commands.HostListItem". */
  get typeName(): string {
    return (this.pointer ? '*' : '') + this.type.name;
  }

  field(name: string): GoField | undefined {
    return this.type.fields.find((f) => f.name === name);
  }

  /** What a template reads: a nil slice as an empty one that still encodes as null. */
  get(name: string): unknown {
    const f = this.field(name);
    const v = this.values[name];
    if (f?.kind === 'slice' && (v === null || v === undefined)) return NIL_SLICE;
    return v;
  }

  /** encoding/json's form: declared order, the tags' keys. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of this.type.fields) out[f.json ?? f.name] = this.values[f.name] ?? (f.kind === 'slice' ? null : undefined);
    return out;
  }
}

/** A nil pointer to a struct: prints <nil>, is false, and refuses every field. */
export class GoNil {
  constructor(readonly type: GoStructType) {}

  get typeName(): string {
    return '*' + this.type.name;
  }

  toJSON(): null {
    return null;
  }
}

/** A nil slice: empty to the template, null to JSON. Frozen and shared. */
export const NIL_SLICE: readonly unknown[] = Object.freeze([]);

/**
 * A record's object as the struct `type` (pointer when `pointer`): each
 * declared field from the key encoding/json would have read it from.
 */
export function goStruct(type: GoStructType, record: Record<string, unknown> | null | undefined, pointer: boolean): GoStruct | GoNil {
  if (record === null || record === undefined) return new GoNil(type);
  const values: Record<string, unknown> = {};
  for (const f of type.fields) {
    const raw = record[f.json ?? f.name];
    values[f.name] = f.struct && (raw === null || typeof raw === 'object') && !Array.isArray(raw) ? goStruct(f.struct, raw as Record<string, unknown> | null, true) : raw;
  }
  return new GoStruct(type, values, pointer);
}

/**
 * Go's %v of a float64: the shortest digits that read back the same, in
 * the exponent form from 1e6 up and below 1e-4 (strconv's 'g' with the
 * shortest precision: 1234567 prints 1.234567e+06).
 */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}
