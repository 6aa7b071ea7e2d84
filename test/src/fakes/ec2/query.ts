// The EC2 Query protocol's request side: "Filter.1.Value.2=x" style keys,
// 1-based flattened lists, turned into a tree the handlers can read.

export type QueryNode = string | QueryTree;
export interface QueryTree {
  [key: string]: QueryNode;
}

export function parseQuery(params: URLSearchParams): QueryTree {
  const root: QueryTree = {};
  for (const [key, value] of params) {
    const parts = key.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      if (typeof next === 'object') {
        node = next;
      } else {
        const created: QueryTree = {};
        node[parts[i]] = created;
        node = created;
      }
    }
    node[parts[parts.length - 1]] = value;
  }
  return root;
}

/** Typed access to one level of a parsed request. */
export class Params {
  constructor(readonly tree: QueryTree) {}

  str(name: string): string | undefined {
    const v = this.tree[name];
    return typeof v === 'string' ? v : undefined;
  }

  int(name: string): number | undefined {
    const v = this.str(name);
    return v === undefined ? undefined : Number(v);
  }

  bool(name: string): boolean | undefined {
    const v = this.str(name);
    return v === undefined ? undefined : v === 'true';
  }

  child(name: string): Params | undefined {
    const v = this.tree[name];
    return typeof v === 'object' ? new Params(v) : undefined;
  }

  /** "Name.1", "Name.2", ... as strings, in index order. */
  strings(name: string): string[] {
    const v = this.tree[name];
    if (typeof v !== 'object') return [];
    return indexed(v).filter((x): x is string => typeof x === 'string');
  }

  /** "Name.1.Field", "Name.2.Field", ... as structures, in index order. */
  list(name: string): Params[] {
    const v = this.tree[name];
    if (typeof v !== 'object') return [];
    return indexed(v).filter((x): x is QueryTree => typeof x === 'object').map((t) => new Params(t));
  }
}

function indexed(tree: QueryTree): QueryNode[] {
  return Object.keys(tree)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => tree[k]);
}

export interface Filter {
  name: string;
  values: string[];
}

export function filtersOf(p: Params): Filter[] {
  return p.list('Filter').map((f) => ({ name: f.str('Name') ?? '', values: f.strings('Value') }));
}

/** EC2 filter values accept * and ? wildcards. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(value);
}
