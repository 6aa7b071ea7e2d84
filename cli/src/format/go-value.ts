// Values as Go's text/template and fmt see them. Docker Machine's ls runs its
// --format over Go structs (HostListItem, *swarm.Options, *engine.Options),
// not maps: a struct prints its fields in declaration order ({a b c}), is
// read by Go field names (DNS, not the JSON key Dns), refuses a field it does
// not have, and a nil pointer prints <nil>. inspect runs over maps read from
// JSON, which plain objects already behave like.

/** Kinds the printer and the comparisons tell apart. */
export type GoKind = 'string' | 'bool' | 'int' | 'float64' | 'slice' | 'struct' | 'named';

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
  /** For a named integer with a String method (state.State, time.Duration). */
  named?: GoNamedInt;
}

/** A method a template can call: `{{.ResponseTime.Seconds}}`, `{{.ResponseTime.Round 1000000}}`. */
export interface GoMethod {
  /** Its parameters' Go types; each argument must be of that type, or an integer constant for an integer type. */
  params: readonly string[];
  /** Its result's Go type, as errors name it. */
  result: string;
  call(receiver: GoInt, args: readonly GoInt[]): unknown;
}

/** A named integer type with a String method, as state.State and time.Duration are. */
export interface GoNamedInt {
  name: string;
  /** The number a String result stands for. */
  parse(text: string): number;
  /** Its String method. */
  format(n: number): string;
  methods: Readonly<Record<string, GoMethod>>;
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

/**
 * An integer whose Go type the printer must know: a plain int (fmt refuses
 * it for %f), or a named one with a String method, as state.State and
 * time.Duration are (%v, %s and %q print its name, "Running" or "12ms"; %d
 * its number, 1 or 12000000). Neither is a string to print's spacing or to len.
 */
export class GoInt {
  constructor(
    readonly typeName: string,
    readonly int: number,
    /** What its String method returns; none for a plain int. */
    readonly name?: string,
    /** Its type's methods, for a named one. */
    readonly methods: Readonly<Record<string, GoMethod>> = {},
  ) {}

  /** A value of a named type from its number, printing as its String method does. */
  static of(type: GoNamedInt, n: number): GoInt {
    return new GoInt(type.name, n, type.format(n), type.methods);
  }

  method(name: string): GoMethod | undefined {
    return Object.prototype.hasOwnProperty.call(this.methods, name) ? this.methods[name] : undefined;
  }

  toString(): string {
    return this.name ?? String(this.int);
  }

  toJSON(): string | number {
    return this.name ?? this.int;
  }
}

/**
 * A float64 that a method returned (Duration.Seconds): Go prints it as a
 * float even when it is whole, names its type float64, and refuses it to
 * %d. A bare number stays as JSON gave it (inspect prints numbers as stored).
 */
export class GoFloat {
  constructor(readonly float: number) {}

  get typeName(): string {
    return 'float64';
  }

  toString(): string {
    return goFloat(this.float);
  }

  toJSON(): number {
    return this.float;
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

/** A map to Go: a plain object (inspect's JSON read into maps, ls's header titles), no struct, nil or int of ours. */
export function isGoMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoStruct) && !(v instanceof GoNil) && !(v instanceof GoInt) && !(v instanceof GoFloat);
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
    if (f.struct && (raw === null || typeof raw === 'object') && !Array.isArray(raw)) values[f.name] = goStruct(f.struct, raw as Record<string, unknown> | null, true);
    else if (f.named && typeof raw === 'string') values[f.name] = new GoInt(f.type, f.named.parse(raw), raw, f.named.methods);
    else if (f.kind === 'int' && typeof raw === 'number') values[f.name] = new GoInt(f.type, raw);
    else values[f.name] = raw;
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
  if (exp < -4 || exp >= 6) return `${mantissa}e${goExponent(exp)}`;
  return String(v);
}

/** An exponent as Go's fmt writes it: its sign, and at least two digits (e+06, p-01). */
export function goExponent(exp: number): string {
  return `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** A count of `unit`s with its fraction, as Go's Duration.String writes it: no trailing zeros, no point for none. */
function withFraction(n: number, digits: number): string {
  const unit = 10 ** digits;
  const frac = String(n % unit).padStart(digits, '0').replace(/0+$/, '');
  return String(Math.floor(n / unit)) + (frac ? '.' + frac : '');
}

/** Go's Duration.String of a count of nanoseconds: "0s", "850ns", "1.5µs", "12.345678ms", "1h2m3.5s". */
export function formatGoDuration(ns: number): string {
  const u = Math.abs(Math.trunc(ns));
  const sign = ns < 0 ? '-' : '';
  if (u === 0) return '0s';
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${withFraction(u, 3)}µs`;
  if (u < 1e9) return `${sign}${withFraction(u, 6)}ms`;
  const seconds = withFraction(u % 60e9, 9);
  const minutes = Math.floor(u / 60e9);
  if (minutes === 0) return `${sign}${seconds}s`;
  const hours = Math.floor(minutes / 60);
  return `${sign}${hours ? `${hours}h` : ''}${minutes % 60}m${seconds}s`;
}

const DURATION_UNITS: Record<string, number> = { h: 3.6e12, m: 6e10, s: 1e9, ms: 1e6, us: 1e3, 'µs': 1e3, 'μs': 1e3, ns: 1 };

/** Nanoseconds of a duration as Go's Duration.String writes it ("1m2.5s", "12ms"); 0 for "0s" or anything else. */
export function parseGoDuration(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  let ns = 0;
  const re = /([0-9.]+)(h|ms|us|µs|μs|ns|m|s)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) ns += Number(m[1]) * DURATION_UNITS[m[2]];
  return sign * Math.round(ns);
}
