/**
 * A subset of Go's text/template, enough for Docker Machine's --format:
 *   {{.Name}}  {{ .Driver.IPAddress }}  {{.}}  {{json .}}  {{prettyjson .Driver}}
 *   {{.Name | upper}}  {{join .Labels ","}}  {{printf "%s-%d" .Name 3}}
 *   {{if .Error}}...{{else}}...{{end}}  {{range .Labels}}{{.}} {{end}}  {{with .X}}{{.}}{{end}}
 *   {{- trims whitespace -}}, "strings", numbers, true/false, eq/ne/not/and/or/len
 * Values print as Go's %v does: [a b] for lists, map[k:v] for objects,
 * <no value> for a missing key. With `strict`, a missing field is an error
 * (ls's struct fields); without, it is <no value> (inspect's JSON maps).
 */
import { goEscape } from '../store/host';

type Value = unknown;

export interface TemplateOptions {
  strict?: boolean;
  /** Extra functions. */
  funcs?: Record<string, (...args: Value[]) => Value>;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipeline; body: Node[]; else: Node[] };

type Arg = { kind: 'field'; path: string[] } | { kind: 'dot' } | { kind: 'literal'; value: Value } | { kind: 'ident'; name: string } | { kind: 'sub'; pipe: Pipeline };
type Command = Arg[];
type Pipeline = Command[];

function tokenize(src: string): string[] {
  const toks: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (c === '"' && src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
          continue;
        }
        s += src[j++];
      }
      if (j >= src.length) throw new TemplateError('template: unterminated quoted string');
      toks.push(JSON.stringify(s));
      i = j + 1;
      continue;
    }
    if (c === '|' || c === '(' || c === ')') {
      toks.push(c);
      i++;
      continue;
    }
    let j = i;
    while (j < src.length && !/[\s|()"`]/.test(src[j])) j++;
    toks.push(src.slice(i, j));
    i = j;
  }
  return toks;
}

function parsePipeline(toks: string[], pos: { i: number }, stopAtParen: boolean): Pipeline {
  const pipe: Pipeline = [];
  let cmd: Command = [];
  while (pos.i < toks.length) {
    const t = toks[pos.i];
    if (t === ')') {
      if (!stopAtParen) throw new TemplateError('template: unexpected ")"');
      break;
    }
    pos.i++;
    if (t === '|') {
      if (cmd.length === 0) throw new TemplateError('template: missing command before "|"');
      pipe.push(cmd);
      cmd = [];
      continue;
    }
    if (t === '(') {
      const sub = parsePipeline(toks, pos, true);
      if (toks[pos.i] !== ')') throw new TemplateError('template: unclosed "("');
      pos.i++;
      cmd.push({ kind: 'sub', pipe: sub });
      continue;
    }
    cmd.push(parseArg(t));
  }
  if (cmd.length) pipe.push(cmd);
  if (pipe.length === 0) throw new TemplateError('template: missing value for command');
  return pipe;
}

function parseArg(t: string): Arg {
  if (t === '.') return { kind: 'dot' };
  if (t.startsWith('.')) return { kind: 'field', path: t.slice(1).split('.') };
  if (t.startsWith('"')) return { kind: 'literal', value: JSON.parse(t) as string };
  if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
  if (t === 'nil') return { kind: 'literal', value: null };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) return { kind: 'ident', name: t };
  throw new TemplateError(`template: unexpected "${t}" in command`);
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
    inner = inner.trim();
    if (inner.startsWith('/*')) continue;
    try {
      parseAction(inner);
    } catch (e) {
      throw e instanceof TemplateError ? atLine(src, open, e.message) : e;
    }
  }
  if (stack.length !== 1) throw atLine(src, src.length, 'template: unexpected EOF');
  return root;

  function defined(p: Pipeline): Pipeline {
    for (const cmd of p) for (const a of cmd) {
      if (a.kind === 'ident' && !known(a.name)) throw new TemplateError(`template: function "${a.name}" not defined`);
      if (a.kind === 'sub') defined(a.pipe);
    }
    return p;
  }

  function parseAction(inner: string): void {
    const toks = tokenize(inner);
    const kw = toks[0];
    const top = stack[stack.length - 1];
    if (kw === 'if' || kw === 'with' || kw === 'range') {
      const pipe = defined(parsePipeline(toks, { i: 1 }, false));
      const node: Node = kw === 'range' ? { kind: 'range', pipe, body: [], else: [] } : { kind: kw, pipe, then: [], else: [] };
      top.list.push(node);
      stack.push({ node, list: kw === 'range' ? (node as { body: Node[] }).body : (node as { then: Node[] }).then });
    } else if (kw === 'else') {
      const n = top.node;
      if (!n || n.kind === 'text' || n.kind === 'action') throw new TemplateError('template: unexpected {{else}}');
      top.list = n.else;
      if (toks[1] === 'if') {
        const pipe = defined(parsePipeline(toks, { i: 2 }, false));
        const nested: Node = { kind: 'if', pipe, then: [], else: [] };
        n.else.push(nested);
        // `else if` shares the outer {{end}}: replace the frame.
        stack[stack.length - 1] = { node: nested, list: nested.then };
      }
    } else if (kw === 'end') {
      if (stack.length === 1) throw new TemplateError('template: unexpected {{end}}');
      stack.pop();
    } else {
      top.list.push({ kind: 'action', pipe: defined(parsePipeline(toks, { i: 0 }, false)) });
    }
  }
}

/**
 * Go's wording for a parse error, "template: NAME:LINE: ...", with the empty
 * name the reference's templates have and the line of the action at `at`.
 */
function atLine(src: string, at: number, message: string): TemplateError {
  const line = 1 + (src.slice(0, at).match(/\n/g)?.length ?? 0);
  return new TemplateError(message.replace(/^template: /, `template: :${line}: `));
}

/** Go's %v rendering. */
export function formatValue(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, Value>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${formatValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function sprintf(fmt: string, ...args: Value[]): string {
  let k = 0;
  return fmt.replace(/%([-+ 0#]*\d*(?:\.\d+)?)?([vsdqtfx%])/g, (_m, _flags: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    const a = args[k++];
    if (verb === 'q') return JSON.stringify(formatValue(a));
    if (verb === 'd') return String(Math.trunc(Number(a)));
    if (verb === 'x') return typeof a === 'number' ? a.toString(16) : Buffer.from(String(a)).toString('hex');
    return formatValue(a);
  });
}

const BUILTINS: Record<string, (...args: Value[]) => Value> = {
  json: (v) => goEscape(JSON.stringify(v === undefined ? null : v)),
  prettyjson: (v) => goEscape(JSON.stringify(v === undefined ? null : v, null, 4)),
  upper: (v) => formatValue(v).toUpperCase(),
  lower: (v) => formatValue(v).toLowerCase(),
  title: (v) => formatValue(v).replace(/\b\w/g, (c) => c.toUpperCase()),
  join: (v, sep) => (Array.isArray(v) ? v.map(formatValue).join(formatValue(sep)) : formatValue(v)),
  split: (v, sep) => formatValue(v).split(formatValue(sep)),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  printf: (fmt, ...a) => sprintf(formatValue(fmt), ...a),
  print: (...a) => a.map(formatValue).join(''),
  println: (...a) => a.map(formatValue).join(' ') + '\n',
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  not: (a) => !truthy(a),
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  index: (v, ...keys) => keys.reduce<Value>((acc, k) => (acc && typeof acc === 'object' ? (acc as Record<string, Value>)[String(k)] : undefined), v),
};

export class Template {
  private readonly nodes: Node[];
  private readonly strict: boolean;
  private readonly funcs: Record<string, (...args: Value[]) => Value>;

  /** Throws TemplateError with Go's text for a parse error ("template: :1: unclosed action"). */
  constructor(src: string, options: TemplateOptions = {}) {
    this.strict = options.strict === true;
    this.funcs = { ...BUILTINS, ...(options.funcs ?? {}) };
    this.nodes = parse(src, (name) => name in this.funcs);
  }

  execute(data: Value): string {
    return this.run(this.nodes, data);
  }

  private run(nodes: Node[], dot: Value): string {
    let out = '';
    for (const n of nodes) {
      if (n.kind === 'text') out += n.text;
      else if (n.kind === 'action') out += formatValue(this.pipe(n.pipe, dot));
      else if (n.kind === 'if') out += truthy(this.pipe(n.pipe, dot)) ? this.run(n.then, dot) : this.run(n.else, dot);
      else if (n.kind === 'with') {
        const v = this.pipe(n.pipe, dot);
        out += truthy(v) ? this.run(n.then, v) : this.run(n.else, dot);
      } else if (n.kind === 'range') {
        const v = this.pipe(n.pipe, dot);
        const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, Value>)[k]) : [];
        out += items.length ? items.map((it) => this.run(n.body, it)).join('') : this.run(n.else, dot);
      }
    }
    return out;
  }

  private pipe(p: Pipeline, dot: Value): Value {
    let prev: Value = undefined;
    p.forEach((cmd, i) => {
      prev = this.command(cmd, dot, i === 0 ? undefined : { v: prev });
    });
    return prev;
  }

  private command(cmd: Command, dot: Value, piped: { v: Value } | undefined): Value {
    const [head, ...rest] = cmd;
    if (head.kind === 'ident') {
      const args = rest.map((a) => this.arg(a, dot));
      if (piped) args.push(piped.v);
      return this.funcs[head.name](...args);
    }
    if (rest.length || piped) throw new TemplateError(`template: can't give argument to non-function ${describe(head)}`);
    return this.arg(head, dot);
  }

  private arg(a: Arg, dot: Value): Value {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return a.value;
      case 'sub':
        return this.pipe(a.pipe, dot);
      case 'ident':
        return this.funcs[a.name]();
      case 'field': {
        let v: Value = dot;
        for (const key of a.path) {
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && key in (v as object)) {
            v = (v as Record<string, Value>)[key];
          } else if (this.strict || (v !== null && v !== undefined && typeof v !== 'object')) {
            throw new TemplateError(`template: can't evaluate field ${key} in ${describe(a)}`);
          } else {
            v = undefined;
          }
        }
        return v;
      }
    }
  }
}

function describe(a: Arg): string {
  if (a.kind === 'field') return `.${a.path.join('.')}`;
  if (a.kind === 'ident') return a.name;
  return a.kind;
}

/** ls/inspect convenience: literal "\t" and "\n" in a --format become real ones. */
export function unescapeFormat(f: string): string {
  return f.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}
