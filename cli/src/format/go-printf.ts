// Go's fmt.Sprintf, as a template's printf calls it: the verbs a --format
// uses (%v %s %q %d %t %x %X %o %b %c %U %e %E %f %F %g %G %T %%), flags
// (- + # 0 space), width and precision, and Go's own marks for a verb that
// does not fit its operand (%!d(string=dev)), a missing operand
// (%!s(MISSING)) and operands left over (%!(EXTRA int=2)).
import { goExponent, goFloat, GoFloat, GoInt, GoNil, GoStruct, isGoMap } from './go-value';
import { goQuote } from './quote';

/** The %v text of a value, from the template's printer. */
export type ValuePrinter = (v: unknown) => string;

/** Go's name of a value's type, as %T and the error marks print it. */
export function goTypeName(v: unknown): string {
  if (v instanceof GoStruct || v instanceof GoNil || v instanceof GoInt || v instanceof GoFloat) return v.typeName;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? '[]string' : '[]interface {}';
  if (v === null || v === undefined) return '<nil>';
  return 'map[string]interface {}';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  precision?: number;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || s.length >= spec.width) return s;
  const fill = spec.width - s.length;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function signed(n: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + n;
  if (spec.plus) return '+' + n;
  if (spec.space) return ' ' + n;
  return n;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Go's %e form: at least two exponent digits. */
function goExp(v: number, precision: number, upper: boolean): string {
  const [m, e] = Math.abs(v).toExponential(precision).split('e');
  const s = `${m}e${goExponent(Number(e))}`;
  return upper ? s.toUpperCase() : s;
}

function formatOne(verb: string, spec: Spec, a: unknown, print: ValuePrinter): string | undefined {
  if (verb === 'T') return pad(goTypeName(a), spec, false);
  if (a instanceof GoFloat) {
    // A float, whole or not: %v in Go's float form, and no integer verb.
    const f = a.float;
    if (verb === 'v') return pad(goFloat(f), spec, true);
    if ((verb === 'x' || verb === 'X') && Number.isFinite(f)) {
      const hex = signed(hexFloat(Math.abs(f)), f < 0, spec);
      return pad(verb === 'X' ? hex.toUpperCase() : hex, spec, false);
    }
    return 'eEfFgG'.includes(verb) ? formatOne(verb, spec, f, print) : undefined;
  }
  if (a instanceof GoInt) {
    // A String method serves %v %s %q %x %X; the other verbs see the number, which is no float.
    if (a.name !== undefined && 'vsqxX'.includes(verb)) return formatOne(verb, spec, a.name, print);
    return 'eEfFgG'.includes(verb) ? undefined : formatOne(verb, spec, a.int, print);
  }
  // A slice or a map: each element (and key) with the verb, its width and precision.
  const each = (e: unknown): string => formatOne(verb, spec, e, print) ?? badVerb(verb, spec, e, print);
  if (verb !== 'T' && Array.isArray(a)) return `[${a.map(each).join(' ')}]`;
  if (verb !== 'T' && isGoMap(a)) {
    return `map[${Object.keys(a)
      .sort()
      .map((k) => `${each(k)}:${each(a[k])}`)
      .join(' ')}]`;
  }
  switch (verb) {
    case 'v': {
      if (typeof a === 'string') return pad(spec.precision === undefined ? a : a.slice(0, spec.precision), spec, false);
      return pad(typeof a === 'number' && !Number.isInteger(a) ? goFloat(a) : print(a), spec, typeof a === 'number');
    }
    case 's': {
      if (typeof a === 'string') return pad(spec.precision === undefined ? a : a.slice(0, spec.precision), spec, false);
      return undefined;
    }
    case 'q':
      if (typeof a === 'string') return pad(goQuote(a), spec, false);
      if (isInt(a)) return pad(quoteRune(a), spec, false);
      return undefined;
    case 't':
      return typeof a === 'boolean' ? pad(String(a), spec, false) : undefined;
    case 'd':
    case 'o':
    case 'b': {
      if (!isInt(a)) return undefined;
      const radix = verb === 'd' ? 10 : verb === 'o' ? 8 : 2;
      let digits = Math.abs(a).toString(radix);
      if (spec.sharp && verb === 'o') digits = '0' + digits;
      return pad(signed(digits, a < 0, spec), spec, true);
    }
    case 'x':
    case 'X': {
      let s: string;
      if (isInt(a)) s = signed((spec.sharp ? '0x' : '') + Math.abs(a).toString(16), a < 0, spec);
      else if (typeof a === 'string') s = Buffer.from(a).toString('hex');
      else if (typeof a === 'number' && Number.isFinite(a)) s = signed(hexFloat(Math.abs(a)), a < 0, spec);
      else return undefined;
      return pad(verb === 'X' ? s.toUpperCase() : s, spec, isInt(a));
    }
    case 'c':
      return isInt(a) ? pad(String.fromCodePoint(a), spec, false) : undefined;
    case 'U':
      return isInt(a) ? pad('U+' + a.toString(16).toUpperCase().padStart(4, '0'), spec, false) : undefined;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (typeof a !== 'number') return undefined;
      const neg = a < 0 || Object.is(a, -0);
      let body: string;
      if (verb === 'f' || verb === 'F') body = Math.abs(a).toFixed(spec.precision ?? 6);
      else if (verb === 'e' || verb === 'E') body = goExp(a, spec.precision ?? 6, verb === 'E');
      else body = spec.precision === undefined ? goFloat(Math.abs(a)) : goG(Math.abs(a), spec.precision, verb === 'G');
      return pad(signed(body, neg, spec), spec, true);
    }
    default:
      return undefined;
  }
}

/** strconv.QuoteRune: 'a', '\\n', '\\x00'. */
function quoteRune(r: number): string {
  const inner = goQuote(String.fromCodePoint(r)).slice(1, -1);
  return `'${inner === '\\"' ? '"' : inner === "'" ? "\\'" : inner}'`;
}

/** %x of a float64: the shortest hex mantissa and a binary exponent (0x1.8p+01). */
function hexFloat(v: number): string {
  if (v === 0) return '0x0p+00';
  let exp = Math.floor(Math.log2(v));
  let m = v / 2 ** exp;
  if (m >= 2) {
    m /= 2;
    exp++;
  } else if (m < 1) {
    m *= 2;
    exp--;
  }
  let frac = '';
  for (let f = m - 1; f > 0 && frac.length < 13; ) {
    f *= 16;
    const d = Math.floor(f);
    frac += d.toString(16);
    f -= d;
  }
  return `0x1${frac ? '.' + frac : ''}p${goExponent(exp)}`;
}

/** %.Ng: N significant digits, the exponent form when the exponent is below -4 or at least N. */
function goG(v: number, precision: number, upper: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(v));
  if (exp < -4 || exp >= p) {
    return goExp(v, p - 1, upper).replace(/\.?0+e/, 'e');
  }
  return String(Number(v.toPrecision(p)));
}

/** Go's mark for an operand its verb does not fit: the operand as %v, with the verb's width and precision. */
function badVerb(verb: string, spec: Spec, a: unknown, print: ValuePrinter): string {
  if (a === null || a === undefined) return `%!${verb}(<nil>)`;
  const raw = a instanceof GoInt ? a.int : a;
  return `%!${verb}(${goTypeName(a)}=${formatOne('v', spec, raw, print) ?? print(raw)})`;
}

/** fmt.Sprintf(format, args...) for the values a template passes. */
export function goSprintf(format: string, args: unknown[], print: ValuePrinter): string {
  let out = '';
  let next = 0;
  const re = /%([-+# 0]*)(\d+)?(?:\.(\d*))?(.|$)/gs;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags, width, precision, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (verb === '') {
      out += '%!(NOVERB)';
      continue;
    }
    const spec: Spec = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      sharp: flags.includes('#'),
      zero: flags.includes('0'),
      space: flags.includes(' '),
      width: width === undefined ? undefined : Number(width),
      precision: precision === undefined ? undefined : Number(precision || '0'),
    };
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[next++];
    out += formatOne(verb, spec, a, print) ?? badVerb(verb, spec, a, print);
  }
  out += format.slice(last);
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${print(a)}`)).join(', ')})`;
  return out;
}
