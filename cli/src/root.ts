// The CLI package's root directory, found by walking up from this file, so
// it is right both from lib/<dir>/x.js and from a single bundled file in lib/.
import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

export function cliRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pj.name === '@machine/cli') return (cached = dir);
    } catch {
      // keep walking
    }
    dir = path.dirname(dir);
  }
  return (cached = path.resolve(__dirname, '..'));
}
