// How the user invoked us, for hints that must work when pasted back.
import * as path from 'node:path';

export function invokedAs(argv1: string | undefined = process.argv[1]): string {
  if (!argv1) return 'machine';
  const base = path.basename(argv1);
  // Run through an npm bin link the script keeps its link name; run directly, only the full path works.
  return base === 'run.js' ? argv1 : base;
}
