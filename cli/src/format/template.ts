/**
 * Go's text/template, as far as Docker Machine's --format reaches:
 *   {{.Name}}  {{ .Driver.IPAddress }}  {{.}}  {{$}}  {{json .}}  {{prettyjson .Driver}}
 *   {{.Name | printf "%-10s"}}  {{if gt (len .Labels) 1}}...{{else if .X}}...{{else}}...{{end}}
 *   {{range .Labels}}{{.}} {{end}}  {{range $i, $l := .Labels}}{{$i}}={{$l}}{{end}}
 *   {{with .X}}{{.}}{{end}}  {{$n := .Name}}{{$n}}  {{- trims whitespace -}}  {{/* comments * /}}
 * Go's builtins (and or not len index print printf println html js urlquery
 * eq ne lt le gt ge), and the extras docs/cli.md lists (json prettyjson upper
 * lower title split join).
 *
 * Values print as Go's fmt does: [a b] for slices, map[k:v] for maps (plain
 * objects, as inspect's JSON is read), {a b} for structs (GoStruct, as ls's
 * rows are), <no value> for a missing key, <nil> for a nil pointer.
 * Errors carry Go's words: "template: :1: ..." when parsing, and
 * "template: :LINE:COL: executing "" at <NODE>: ..." when running.
 */
import { goEscape } from '../store/host';
import { GoFloat, GoInt, GoNil, GoStruct, NIL_SLICE, goFloat, isGoMap, type GoMethod } from './go-value';
import { goSprintf, goTypeName } from './go-printf';

type Value = unknown;

export interface TemplateOptions {
  /** Extra functions, by name. */
  funcs?: Record<string, (...args: Value[]) => Value>;
}

export class TemplateError extends Error {
  /** What an execution had written before it failed: Go writes as it goes, and that text is out. */
  partial = '';

  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A function's own failure: reported as "error calling NAME: ..." at its command. */
class CallError extends Error {}

/** A token of an action, with its offset in the whole template. */
interface Token {
  text: string;
  pos: number;
}

type Arg =
  | { kind: 'field'; path: string[]; pos: number; text: string }
  | { kind: 'variable'; name: string; path: string[]; pos: number; text: string }
  | { kind: 'dot'; pos: number; text: string }
  | { kind: 'literal'; value: Value; pos: number; text: string }
  | { kind: 'ident'; name: string; pos: number; text: string }
  | { kind: 'sub'; pipe: Pipeline; pos: number; text: string };
interface Command {
  args: Arg[];
  pos: number;
}
interface Pipeline {
  /** Variables the pipeline declares ($x := ...) or assigns ($x = ...). */
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipeline; body: Node[]; else: Node[] };

function tokenize(src: string, base: number): Token[] {
  const toks: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === '`' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += c !== '`' && src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError(c === "'" ? 'template: unterminated character constant' : 'template: unterminated quoted string');
      toks.push({ text: src.slice(i, j + 1), pos: base + i });
      i = j + 1;
      continue;
    }
    if (src.startsWith(':=', i)) {
      toks.push({ text: ':=', pos: base + i });
      i += 2;
      continue;
    }
    if ('|(),='.includes(c)) {
      toks.push({ text: c, pos: base + i });
      i++;
      continue;
    }
    let j = i;
    while (j < src.length && !/[\s|()"`',=]/.test(src[j]) && !src.startsWith(':=', j)) j++;
    toks.push({ text: src.slice(i, j), pos: base + i });
    i = j;
  }
  return toks;
}

/** A quoted literal's value, as Go's strconv.Unquote reads it. */
function unquote(t: string): Value {
  if (t.startsWith('`')) return t.slice(1, -1);
  if (t.startsWith("'")) {
    const body = t.slice(1, -1);
    const s = body.startsWith('\\') ? (JSON.parse(`"${body}"`) as string) : body;
    return s.codePointAt(0) ?? 0;
  }
  return JSON.parse(t.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as string;
}

function parseArg(t: Token): Arg {
  const { text, pos } = t;
  if (text === '.') return { kind: 'dot', pos, text };
  // A chain (.A.B) is one node at the position of its second link, as Go's parser makes it.
  const chainPos = (parts: string[]): number => (parts.length > 1 ? pos + parts[0].length + 1 : pos);
  if (text.startsWith('.') && !/^\.\d/.test(text)) {
    const path = text.slice(1).split('.');
    if (path.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) throw new TemplateError(`template: unexpected "${text}" in operand`);
    return { kind: 'field', path, pos: chainPos(path), text };
  }
  if (text.startsWith('$')) {
    const [name, ...path] = text.split('.');
    if (!/^\$[A-Za-z0-9_]*$/.test(name)) throw new TemplateError(`template: unexpected "${text}" in operand`);
    return { kind: 'variable', name, path, pos: path.length ? pos + name.length : pos, text };
  }
  if (/^["`']/.test(text)) return { kind: 'literal', value: unquote(text), pos, text };
  if (text === 'true' || text === 'false') return { kind: 'literal', value: text === 'true', pos, text };
  if (text === 'nil') return { kind: 'literal', value: null, pos, text };
  // A decimal point or an exponent makes a float64 constant, even when whole (2.0, 1e9), as Go's idealConstant does.
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { kind: 'literal', value: /[.eE]/.test(text) ? new GoFloat(Number(text)) : Number(text), pos, text };
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(text)) return { kind: 'literal', value: Number(text), pos, text };
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) return { kind: 'ident', name: text, pos, text };
  throw new TemplateError(`template: unexpected "${text}" in command`);
}

function parsePipeline(toks: Token[], at: { i: number }, stopAtParen: boolean, allowDecl: 'none' | 'one' | 'two'): Pipeline {
  const pipe: Pipeline = { decl: [], assign: false, cmds: [] };
  // $x := ..., $x = ..., and in range $i, $v := ...
  if (allowDecl !== 'none' && toks[at.i]?.text.startsWith('$') && !toks[at.i].text.includes('.')) {
    const names: string[] = [toks[at.i].text];
    let j = at.i + 1;
    if (allowDecl === 'two' && toks[j]?.text === ',' && toks[j + 1]?.text.startsWith('$')) {
      names.push(toks[j + 1].text);
      j += 2;
    }
    const op = toks[j]?.text;
    if (op === ':=' || (op === '=' && names.length === 1)) {
      pipe.decl = names;
      pipe.assign = op === '=';
      at.i = j + 1;
    }
  }
  let cmd: Command | undefined;
  while (at.i < toks.length) {
    const t = toks[at.i];
    if (t.text === ')') {
      if (!stopAtParen) throw new TemplateError('template: unexpected ")" in command');
      break;
    }
    at.i++;
    if (t.text === '|') {
      if (!cmd) throw new TemplateError('template: missing command before "|"');
      pipe.cmds.push(cmd);
      cmd = undefined;
      continue;
    }
    if (t.text === ',' || t.text === ':=' || t.text === '=') throw new TemplateError(`template: unexpected "${t.text}" in command`);
    cmd ??= { args: [], pos: t.pos };
    if (t.text === '(') {
      const sub = parsePipeline(toks, at, true, 'none');
      if (toks[at.i]?.text !== ')') throw new TemplateError('template: unclosed left paren');
      at.i++;
      cmd.args.push({ kind: 'sub', pipe: sub, pos: t.pos, text: `(${pipelineText(sub)})` });
      continue;
    }
    cmd.args.push(parseArg(t));
  }
  if (cmd) pipe.cmds.push(cmd);
  if (pipe.cmds.length === 0) throw new TemplateError('template: missing value for command');
  return pipe;
}

/**
 * The node Go's executor was last at after evaluating `a`, which its
 * errors about the value name: in a parenthesized pipeline, the last
 * argument of its last command.
 */
function lastEvaluated(a: Arg): Arg {
  if (a.kind !== 'sub') return a;
  const cmd = a.pipe.cmds[a.pipe.cmds.length - 1];
  return lastEvaluated(cmd.args[cmd.args.length - 1]);
}

function commandText(c: Command): string {
  return c.args.map((a) => a.text).join(' ');
}

function pipelineText(p: Pipeline): string {
  const decl = p.decl.length ? `${p.decl.join(', ')} ${p.assign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandText).join(' | ');
}

/** Parses `src`; `known` says whether a function name is defined (Go checks it while parsing). */
function parse(src: string, known: (name: string) => boolean): Node[] {
  const root: Node[] = [];
  const stack: { node: Node | null; list: Node[] }[] = [{ node: null, list: root }];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) stack[stack.length - 1].list.push({ kind: 'text', text });
      break;
    }
    let inner0 = open + 2;
    if (src[inner0] === '-' && /\s/.test(src[inner0 + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      inner0 += 1;
    }
    if (text) stack[stack.length - 1].list.push({ kind: 'text', text });
    const close = src.indexOf('}}', inner0);
    if (close < 0) throw atLine(src, open, 'template: unclosed action');
    let inner = src.slice(inner0, close);
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      trimNext = true;
    }
    i = close + 2;
    if (inner.trim().startsWith('/*')) continue;
    try {
      parseAction(tokenize(inner, inner0));
    } catch (e) {
      throw e instanceof TemplateError ? atLine(src, open, e.message) : e;
    }
  }
  if (stack.length !== 1) throw atLine(src, src.length, 'template: unexpected EOF');
  return root;

  function defined(p: Pipeline): Pipeline {
    for (const cmd of p.cmds) {
      for (const a of cmd.args) {
        if (a.kind === 'ident' && !known(a.name)) throw new TemplateError(`template: function "${a.name}" not defined`);
        if (a.kind === 'sub') defined(a.pipe);
      }
    }
    return p;
  }

  function parseAction(toks: Token[]): void {
    const kw = toks[0]?.text;
    const top = stack[stack.length - 1];
    if (kw === 'if' || kw === 'with' || kw === 'range') {
      const pipe = defined(parsePipeline(toks, { i: 1 }, false, kw === 'range' ? 'two' : 'one'));
      const node: Node = kw === 'range' ? { kind: 'range', pipe, body: [], else: [] } : { kind: kw, pipe, then: [], else: [] };
      top.list.push(node);
      stack.push({ node, list: node.kind === 'range' ? node.body : node.then });
    } else if (kw === 'else') {
      const n = top.node;
      if (!n || n.kind === 'text' || n.kind === 'action') throw new TemplateError('template: unexpected {{else}}');
      top.list = n.else;
      if (toks[1]?.text === 'if') {
        const pipe = defined(parsePipeline(toks, { i: 2 }, false, 'one'));
        const nested: Node = { kind: 'if', pipe, then: [], else: [] };
        n.else.push(nested);
        // `else if` shares the outer {{end}}: replace the frame.
        stack[stack.length - 1] = { node: nested, list: nested.then };
      }
    } else if (kw === 'end') {
      if (stack.length === 1) throw new TemplateError('template: unexpected {{end}}');
      stack.pop();
    } else {
      top.list.push({ kind: 'action', pipe: defined(parsePipeline(toks, { i: 0 }, false, 'one')) });
    }
  }
}

/** Go's wording for a parse error, "template: NAME:LINE: ...", with the reference's empty name. */
function atLine(src: string, at: number, message: string): TemplateError {
  const line = 1 + (src.slice(0, at).match(/\n/g)?.length ?? 0);
  return new TemplateError(message.replace(/^template: /, `template: :${line}: `));
}

/** Go's %v of a value inside another one being printed: a nil there is <nil>. */
function printNested(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  return formatValue(v);
}

/** Go's %v rendering of a value the template prints. */
export function formatValue(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (v instanceof GoNil) return '<nil>';
  if (v instanceof GoStruct) {
    return `{${v.type.fields
      .map((f) => {
        const x = v.get(f.name);
        if (f.kind === 'float64' && typeof x === 'number') return goFloat(x);
        // A pointer inside a struct prints as an address in Go; its fields are more use here.
        return printNested(x);
      })
      .join(' ')}}`;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof GoInt || v instanceof GoFloat) return String(v);
  if (Array.isArray(v)) return `[${v.map(printNested).join(' ')}]`;
  if (isGoMap(v)) {
    const o = v;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${printNested(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** Go's truth of a value: false for the zero value, a nil pointer and an empty slice or map. */
function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (v instanceof GoNil) return false;
  if (v instanceof GoStruct) return true;
  if (v instanceof GoInt) return v.int !== 0;
  if (v instanceof GoFloat) return v.float !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isGoMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** An operand of print, printf and println: fmt shows a pointer to a struct as &{...}. */
function printOperand(v: Value): string {
  return v instanceof GoStruct && v.pointer ? '&' + formatValue(v) : printNested(v);
}

/** fmt.Sprint: a space between two operands when neither is a string. */
function goSprint(args: Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += printOperand(a);
  });
  return out;
}

/** The text html, js and urlquery escape: a lone string as it is, anything else as fmt.Sprint makes it. */
function escaperInput(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  // Each operand as the template would print it: a nil is <no value> here.
  return goSprint(args.map((a) => (a === null || a === undefined ? '<no value>' : a)));
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c] ?? c);
}

/** text/template's JSEscapeString as Docker Machine 0.16's Go has it. */
function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '<') out += '\\x3C';
    else if (ch === '>') out += '\\x3E';
    else if (c < 0x20) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** url.QueryEscape: only letters, digits and -_.~ stay; a space becomes +. */
function queryEscape(s: string): string {
  return Array.from(Buffer.from(s))
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      if (c === ' ') return '+';
      return '%' + b.toString(16).toUpperCase().padStart(2, '0');
    })
    .join('');
}

/** The kind Go's comparison functions sort a value into. */
function basicKind(v: Value): 'int' | 'float' | 'string' | 'bool' | undefined {
  if (v instanceof GoInt) return 'int';
  if (v instanceof GoFloat) return 'float';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return undefined;
}

/** Go's lt/le/gt/ge: numbers with numbers, strings with strings; -1, 0 or 1. */
function compare(a: Value, b: Value): number {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (!ka || !kb || ka === 'bool' || kb === 'bool') throw new CallError('invalid type for comparison');
  if (ka !== kb) throw new CallError('incompatible types for comparison');
  const x = plain(a);
  const y = plain(b);
  return x < y ? -1 : x === y ? 0 : 1;
}

/** A basic value's number or string, out of its Go type. */
function plain(v: Value): number | string {
  return v instanceof GoInt ? v.int : v instanceof GoFloat ? v.float : (v as number | string);
}

function sameValue(a: Value, b: Value): boolean {
  if (a instanceof GoFloat || b instanceof GoFloat) return plain(a) === plain(b);
  if (a instanceof GoInt) return typeof b === 'number' ? a.int === b : b instanceof GoInt ? a.int === b.int : a.name !== undefined && a.name === b;
  if (b instanceof GoInt) return sameValue(b, a);
  return a === b;
}

function lengthOf(v: Value): number {
  // Docker Machine's Go says so for a missing key and a JSON null alike.
  if (v === null || v === undefined) throw new CallError('len of untyped nil');
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof GoNil) throw new CallError('len of nil pointer');
  if (v instanceof GoStruct || v instanceof GoInt || v instanceof GoFloat) throw new CallError(`len of type ${v.typeName}`);
  if (isGoMap(v)) return Object.keys(v).length;
  throw new CallError(`len of type ${goTypeName(v)}`);
}

function indexOf(v: Value, keys: Value[]): Value {
  let item = v;
  for (const k of keys) {
    if (item === null || item === undefined) throw new CallError('index of untyped nil');
    if (item instanceof GoNil) throw new CallError('index of nil pointer');
    if (Array.isArray(item) || typeof item === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new CallError(`cannot index slice/array with type ${goTypeName(k)}`);
      const len = Array.isArray(item) ? item.length : Buffer.byteLength(item);
      if (k < 0 || k >= len) throw new CallError(`index out of range: ${k}`);
      item = Array.isArray(item) ? (item[k] as Value) : Buffer.from(item)[k];
    } else if (isGoMap(item)) {
      item = item[String(k)];
    } else {
      throw new CallError(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

const BUILTINS: Record<string, (...args: Value[]) => Value> = {
  // Go's own.
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  not: (a) => !truthy(a),
  len: (v) => lengthOf(v),
  index: (v, ...keys) => indexOf(v, keys),
  print: (...a) => goSprint(a),
  printf: (fmt, ...a) => goSprintf(typeof fmt === 'string' ? fmt : formatValue(fmt), a, printOperand),
  println: (...a) => a.map(printOperand).join(' ') + '\n',
  html: (...a) => htmlEscape(escaperInput(a)),
  js: (...a) => jsEscape(escaperInput(a)),
  urlquery: (...a) => queryEscape(escaperInput(a)),
  // Lenient where Go refuses (docs/cli.md): a state compares by its name with a string.
  eq: (a, ...b) => b.some((x) => sameValue(a, x)),
  ne: (a, b) => !sameValue(a, b),
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  // inspect's (the reference's funcMap), and the extras docs/cli.md lists.
  json: (v) => goEscape(JSON.stringify(v === undefined ? null : v, nilSlices)),
  prettyjson: (v) => goEscape(JSON.stringify(v === undefined ? null : v, nilSlices, 4)),
  upper: (v) => formatValue(v).toUpperCase(),
  lower: (v) => formatValue(v).toLowerCase(),
  title: (v) => formatValue(v).replace(/\b\w/g, (c) => c.toUpperCase()),
  join: (v, sep) => (Array.isArray(v) ? v.map(formatValue).join(formatValue(sep)) : formatValue(v)),
  split: (v, sep) => formatValue(v).split(formatValue(sep)),
};

function nilSlices(_key: string, v: Value): Value {
  return v === NIL_SLICE ? null : v;
}

/** A value with the static type Go names in a field error. */
interface Typed {
  v: Value;
  type: string;
}

/** What a command gives the method its field chain ends with: its other arguments and the piped value. */
interface MethodCall {
  args: Arg[];
  piped: Typed | undefined;
  /** The dot the arguments are evaluated against. */
  dot: Typed;
}

export interface ExecuteOptions {
  /** Go's type of the data, for errors ("commands.HostListItem"); default: what the value says. */
  type?: string;
  /** Go's element type of maps in the data ("interface {}" for JSON read into maps). */
  mapElem?: string;
}

export class Template {
  private readonly nodes: Node[];
  private readonly funcs: Record<string, (...args: Value[]) => Value>;
  private readonly src: string;

  /** Throws TemplateError with Go's text for a parse error ("template: :1: unclosed action"). */
  constructor(src: string, options: TemplateOptions = {}) {
    this.funcs = { ...BUILTINS, ...(options.funcs ?? {}) };
    this.src = src;
    this.nodes = parse(src, (name) => name in this.funcs);
  }

  /** Throws TemplateError with Go's text for an execution error. */
  execute(data: Value, options: ExecuteOptions = {}): string {
    const run = new Execution(this.src, this.funcs, data, options);
    try {
      run.nodes(this.nodes, run.root);
    } catch (e) {
      if (e instanceof TemplateError) e.partial = run.out;
      throw e;
    }
    return run.out;
  }
}

function staticType(v: Value, mapElem = 'interface {}'): string {
  return isGoMap(v) ? `map[string]${mapElem}` : goTypeName(v);
}

class Execution {
  /** The data, $ and the first dot, with Go's type of it. */
  readonly root: Typed;
  private readonly vars: { name: string; value: Typed }[];
  /** The text written so far, in order, as Go writes it to its writer. */
  out = '';

  constructor(
    private readonly src: string,
    private readonly funcs: Record<string, (...args: Value[]) => Value>,
    root: Value,
    private readonly options: ExecuteOptions,
  ) {
    this.root = { v: root, type: options.type ?? staticType(root, options.mapElem) };
    this.vars = [{ name: '$', value: this.root }];
  }

  nodes(list: Node[], dot: Typed): void {
    for (const n of list) {
      if (n.kind === 'text') {
        this.out += n.text;
        continue;
      }
      const mark = this.vars.length;
      try {
        if (n.kind === 'action') {
          const v = this.pipe(n.pipe, dot);
          if (n.pipe.decl.length === 0) this.out += formatValue(v.v);
        } else if (n.kind === 'if') {
          this.nodes(truthy(this.pipe(n.pipe, dot).v) ? n.then : n.else, dot);
        } else if (n.kind === 'with') {
          const v = this.pipe(n.pipe, dot);
          if (truthy(v.v)) this.nodes(n.then, v);
          else this.nodes(n.else, dot);
        } else if (n.kind === 'range') {
          this.range(n, dot);
        }
      } finally {
        // Variables declared in an action live to the end of the enclosing block; a block's own end with it.
        if (n.kind !== 'action') this.vars.length = mark;
      }
    }
  }

  private range(n: Extract<Node, { kind: 'range' }>, dot: Typed): void {
    const decl = n.pipe.decl;
    const v = this.pipe({ ...n.pipe, decl: [] }, dot).v;
    let entries: [Value, Value][];
    if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (isGoMap(v)) {
      entries = Object.keys(v)
        .sort()
        .map((k) => [k, v[k]]);
    } else if (v === null || v === undefined || v instanceof GoNil) entries = [];
    else {
      // Go reports it at the node evaluated last: the pipeline's final operand.
      const cmd = n.pipe.cmds[n.pipe.cmds.length - 1];
      const last = cmd.args.length === 1 ? cmd.args[0] : undefined;
      throw this.error(last?.pos ?? cmd.pos, last?.text ?? commandText(cmd), `range can't iterate over ${formatValue(v)}`);
    }
    if (entries.length === 0) {
      this.nodes(n.else, dot);
      return;
    }
    const mark = this.vars.length;
    for (const [key, elem] of entries) {
      const item: Typed = { v: elem, type: goTypeName(elem) };
      if (decl.length === 1) this.vars.push({ name: decl[0], value: item });
      if (decl.length === 2) this.vars.push({ name: decl[0], value: { v: key, type: goTypeName(key) } }, { name: decl[1], value: item });
      this.nodes(n.body, item);
      this.vars.length = mark;
    }
  }

  private pipe(p: Pipeline, dot: Typed): Typed {
    let prev: Typed | undefined;
    for (const cmd of p.cmds) prev = this.command(cmd, dot, prev);
    const result = prev ?? { v: undefined, type: '' };
    if (p.decl.length) {
      const name = p.decl[p.decl.length - 1];
      if (p.assign) {
        const slot = [...this.vars].reverse().find((x) => x.name === name);
        if (!slot) throw this.error(p.cmds[0].pos, pipelineText(p), `undefined variable: ${name}`);
        slot.value = result;
      } else {
        this.vars.push({ name, value: result });
      }
    }
    return result;
  }

  private command(cmd: Command, dot: Typed, piped: Typed | undefined): Typed {
    const [head, ...rest] = cmd.args;
    if (head.kind === 'ident') {
      const args = rest.map((a) => this.arg(a, dot).v);
      if (piped) args.push(piped.v);
      try {
        const v = this.funcs[head.name](...args);
        return { v, type: goTypeName(v) };
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        throw this.error(cmd.pos, commandText(cmd), `error calling ${head.name}: ${(e as Error).message}`);
      }
    }
    if (!rest.length && !piped) return this.arg(head, dot);
    // Arguments go to the method the chain ends with.
    if (head.kind === 'field') return this.fields(dot, head.path, head, { args: rest, piped, dot });
    if (head.kind === 'variable' && head.path.length) return this.fields(this.variable(head), head.path, head, { args: rest, piped, dot });
    throw this.error(head.pos, head.text, `can't give argument to non-function ${head.text}`);
  }

  private variable(a: Extract<Arg, { kind: 'variable' }>): Typed {
    const slot = [...this.vars].reverse().find((x) => x.name === a.name);
    if (!slot) throw this.error(a.pos, a.text, `undefined variable: ${a.name}`);
    return slot.value;
  }

  private arg(a: Arg, dot: Typed): Typed {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return { v: a.value, type: goTypeName(a.value) };
      case 'sub':
        return this.pipe(a.pipe, dot);
      case 'ident':
        return { v: this.funcs[a.name](), type: '' };
      case 'variable':
        return this.fields(this.variable(a), a.path, a);
      case 'field':
        return this.fields(dot, a.path, a);
    }
  }

  /**
   * Walks `.A.B.C` from `from` as Go's evalField does, with its errors. A
   * name the value's type has a method for calls it; the last one takes the
   * command's arguments and the piped value, which a field refuses.
   */
  private fields(from: Typed, path: string[], node: Arg, call?: MethodCall): Typed {
    let cur = from;
    for (const [i, key] of path.entries()) {
      const v = cur.v;
      const last = i === path.length - 1;
      const hasArgs = last && call !== undefined;
      if (v === undefined) return { v: undefined, type: '' };
      if (v instanceof GoInt) {
        const method = v.method(key);
        if (!method) throw this.error(node.pos, node.text, `can't evaluate field ${key} in type ${cur.type}`);
        cur = this.callMethod(v, key, method, node, last ? call : undefined);
      } else if (v instanceof GoStruct) {
        const f = v.field(key);
        if (!f) throw this.error(node.pos, node.text, `can't evaluate field ${key} in type ${cur.type}`);
        if (hasArgs) throw this.error(node.pos, node.text, `${key} has arguments but cannot be invoked as function`);
        cur = { v: v.get(key), type: f.type };
      } else if (v instanceof GoNil) {
        const known = v.type.fields.some((f) => f.name === key);
        throw this.error(node.pos, node.text, known ? `nil pointer evaluating ${cur.type}.${key}` : `can't evaluate field ${key} in type ${cur.type}`);
      } else if (isGoMap(v)) {
        if (hasArgs) throw this.error(node.pos, node.text, `${key} is not a method but has arguments`);
        cur = { v: Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined, type: this.options.mapElem ?? 'interface {}' };
      } else if (v === null) {
        // A nil interface (JSON null in a map), which Go reads no field of.
        throw this.error(node.pos, node.text, `nil pointer evaluating ${cur.type || 'interface {}'}.${key}`);
      } else {
        throw this.error(node.pos, node.text, `can't evaluate field ${key} in type ${cur.type || goTypeName(v)}`);
      }
    }
    return cur;
  }

  /** Go's evalCall for a method: as many arguments as it has parameters, each of its parameter's type. */
  private callMethod(receiver: GoInt, name: string, method: GoMethod, node: Arg, call: MethodCall | undefined): Typed {
    const given = (call?.args.length ?? 0) + (call?.piped ? 1 : 0);
    if (given !== method.params.length) throw this.error(node.pos, node.text, `wrong number of args for ${name}: want ${method.params.length} got ${given}`);
    const args = call ? call.args.map((a, i) => this.methodArg(a, method.params[i], call.dot)) : [];
    if (call?.piped) args.push(this.ofType(call.piped, method.params[method.params.length - 1], node));
    const v = method.call(receiver, args);
    return { v, type: method.result };
  }

  /** Go's evalArg for an integer-kinded parameter: a value of exactly that type, or an integer constant. */
  private methodArg(a: Arg, type: string, dot: Typed): GoInt {
    if (a.kind === 'literal') {
      if (a.value === null) throw this.error(a.pos, a.text, `cannot assign nil to ${type}`);
      // A whole constant is an integer one, even written as a float (1e9).
      const n = a.value instanceof GoFloat ? a.value.float : a.value;
      if (typeof n === 'number' && Number.isInteger(n)) return new GoInt(type, n);
      throw this.error(a.pos, a.text, `expected integer; found ${a.text}`);
    }
    return this.ofType(this.arg(a, dot), type, lastEvaluated(a));
  }

  /** Go's validateType: the value must be of the parameter's type. */
  private ofType(t: Typed, type: string, node: Arg): GoInt {
    if (t.v === undefined) throw this.error(node.pos, node.text, `invalid value; expected ${type}`);
    if (t.v instanceof GoInt && t.v.typeName === type) return t.v;
    throw this.error(node.pos, node.text, `wrong type for value; expected ${type}; got ${t.type || goTypeName(t.v)}`);
  }

  /** Go's execution error: "template: :LINE:COL: executing "" at <NODE>: MESSAGE". */
  private error(pos: number, context: string, message: string): TemplateError {
    const before = this.src.slice(0, pos);
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = pos - (before.lastIndexOf('\n') + 1);
    return new TemplateError(`template: :${line}:${col}: executing "" at <${context}>: ${message}`);
  }
}

/** ls/inspect convenience: literal "\t" and "\n" in a --format become real ones. */
export function unescapeFormat(f: string): string {
  return f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}
