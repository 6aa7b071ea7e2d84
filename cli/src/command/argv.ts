// argv rewriting shared by both paths, done once in bin/run.js:
//  - global flags given before the command move after its id, because oclif
//    (like our fast parser) reads the id first;
//  - `--flag=false` / `--flag=true` for negatable booleans become
//    `--no-flag` / `--flag`, Docker Machine's spelling of negation.
import { GLOBAL_FLAGS, globalFlagArity } from './global-flags';

/** Commands with a topic: the id is two words. */
export const TOPICS = new Set(['driver']);

function rewriteBool(arg: string): string {
  const m = /^--([a-z0-9-]+)=(true|false|1|0)$/i.exec(arg);
  if (!m) return arg;
  const def = GLOBAL_FLAGS[m[1]];
  if (!def || def.type !== 'boolean' || !def.allowNo) return arg;
  const on = /^(true|1)$/i.test(m[2]);
  return on ? `--${m[1]}` : `--no-${m[1]}`;
}

/**
 * Docker Machine's global options are Go flags, which take one dash or two
 * alike and a value after "=" for short names too: `-debug`,
 * `-storage-path DIR`, `-s=DIR`. Rewritten to the spelling our parsers read;
 * anything that is not a global flag is left as it is.
 */
function goGlobalFlag(arg: string, arity: Map<string, boolean>): string[] {
  const m = /^-([A-Za-z0-9][A-Za-z0-9-]*)(=.*)?$/.exec(arg);
  if (!m) return [arg];
  const [, name, assigned] = m;
  if (name.length > 1) return GLOBAL_FLAGS[name] || ((name === 'version' || name === 'help') && assigned === undefined) ? [`--${name}${assigned ?? ''}`] : [arg];
  return assigned !== undefined && arity.get(`-${name}`) ? [`-${name}`, assigned.slice(1)] : [arg];
}

export interface SplitArgv {
  /** The command id words ([] when none was given). */
  id: string[];
  /** Everything else, global flags included, in parser order. */
  rest: string[];
  /** argv ready for oclif: id words first. */
  normalized: string[];
}

export function splitArgv(given: string[]): SplitArgv {
  const arity = globalFlagArity();
  // Global flags are Go flags only before the command, as in the reference.
  const argv: string[] = [];
  let g = 0;
  while (g < given.length && given[g].startsWith('-') && given[g] !== '--') {
    const flag = goGlobalFlag(given[g++], arity);
    argv.push(...flag);
    // A value given as the next word goes with it unchanged.
    if (flag.length === 1 && arity.get(flag[0]) && g < given.length) argv.push(given[g++]);
  }
  argv.push(...given.slice(g));
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = rewriteBool(argv[i]);
    if (!a.startsWith('-') || a === '-' || a === '--') break;
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (!arity.has(key)) break;
    leading.push(a);
    i++;
    if (arity.get(key) && eq < 0 && i < argv.length) leading.push(argv[i++]);
  }
  const id: string[] = [];
  // `machine --version` / `-v` print what `machine version` prints, as Docker Machine does.
  if (i === argv.length - 1 && (argv[i] === '--version' || argv[i] === '-v')) {
    return { id: ['version'], rest: leading, normalized: ['version', ...leading] };
  }
  // `machine help [COMMAND...]` is `machine [COMMAND...] --help`, as in Docker Machine.
  if (argv[i] === 'help' || argv[i] === 'h') {
    const words = argv.slice(i + 1).filter((a) => !a.startsWith('-'));
    return { id: [], rest: [...words, '--help', ...leading], normalized: [...words, '--help', ...leading] };
  }
  if (i < argv.length && !argv[i].startsWith('-')) {
    id.push(argv[i++]);
    if (TOPICS.has(id[0]) && i < argv.length && !argv[i].startsWith('-')) id.push(argv[i++]);
  }
  const tail: string[] = [];
  let passthrough = false;
  for (; i < argv.length; i++) {
    if (argv[i] === '--') passthrough = true;
    tail.push(passthrough ? argv[i] : rewriteBool(argv[i]));
  }
  const rest = [...tail, ...leading];
  // Leading flags go before a `--` so they are still parsed as flags.
  const dd = tail.indexOf('--');
  const restOrdered = dd >= 0 ? [...tail.slice(0, dd), ...leading, ...tail.slice(dd)] : rest;
  return { id, rest: restOrdered, normalized: [...id, ...restOrdered] };
}
