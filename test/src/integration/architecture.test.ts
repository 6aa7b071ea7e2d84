// The import rules `npm run lint` enforces (.dependency-cruiser.cjs), each
// broken on purpose in a small tree shaped like the repository.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const CONFIG = path.join(REPO, '.dependency-cruiser.cjs');
// A root dev dependency; its package exports do not include its command.
const DEPCRUISE = path.join(REPO, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** What `npm run lint` sees: depcruise's exit code and its error report. */
interface Cruise {
  code: number;
  report: string;
}

type Tree = Record<string, string>;

// A layout that follows every rule: the core and two drivers on top of the
// SDK, a driver importing its own modules.
const LAWFUL: Tree = {
  'proto/src/index.ts': 'export const sdk = 1;\n',
  'cli/src/main.ts': "import { sdk } from '../../proto/src/index';\nexport const core = sdk;\n",
  'plugins/driver-a/src/util.ts': 'export const half = 0.5;\n',
  'plugins/driver-a/src/main.ts': "import { sdk } from '../../../proto/src/index';\nimport { half } from './util';\nexport const a = sdk * half;\n",
  'plugins/driver-b/src/main.ts': "import { sdk } from '../../../proto/src/index';\nexport const b = sdk;\n",
};

function cruise(cwd: string, dirs: string[]): Promise<Cruise> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'err', ...dirs], { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code) : 0;
      resolve({ code, report: `${stdout}${stderr}` });
    });
  });
}

/** The rules the report names, once each. */
function rulesIn(report: string): string[] {
  return [...new Set([...report.matchAll(/^\s*error ([\w-]+):/gm)].map((m) => m[1]))];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('architecture rules (dependency-cruiser)', function () {
  this.timeout(120_000);
  const roots: string[] = [];

  function tree(extra: Tree): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'architecture-'));
    roots.push(root);
    for (const [file, text] of Object.entries({ ...LAWFUL, ...extra })) {
      fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  function check(extra: Tree): Promise<Cruise> {
    return cruise(tree(extra), ['cli/src', 'proto/src', 'plugins/driver-a/src', 'plugins/driver-b/src']);
  }

  after(() => {
    for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  });

  it('passes a tree that keeps every rule', async () => {
    const result = await check({});
    assert.equal(result.code, 0, result.report);
    assert.match(result.report, /no dependency violations found/);
  });

  const cases: { rule: string; what: string; files: Tree; from: string; to: string }[] = [
    {
      rule: 'core-not-driver',
      what: 'the core importing a driver module',
      files: { 'cli/src/bad.ts': "import { a } from '../../plugins/driver-a/src/main';\nexport const x = a;\n" },
      from: 'cli/src/bad.ts',
      to: 'plugins/driver-a/src/main.ts',
    },
    {
      rule: 'core-not-driver',
      what: 'the core importing a driver package by name',
      files: { 'cli/src/bad.ts': "import type { Driver } from '@machine/driver-docker';\nexport type X = Driver;\n" },
      from: 'cli/src/bad.ts',
      to: '@machine/driver-docker',
    },
    {
      rule: 'driver-not-core',
      what: 'a driver importing the core',
      files: { 'plugins/driver-a/src/bad.ts': "import { core } from '../../../cli/src/main';\nexport const x = core;\n" },
      from: 'plugins/driver-a/src/bad.ts',
      to: 'cli/src/main.ts',
    },
    {
      rule: 'driver-not-other-driver',
      what: 'a driver importing another driver',
      files: { 'plugins/driver-a/src/bad.ts': "import { b } from '../../driver-b/src/main';\nexport const x = b;\n" },
      from: 'plugins/driver-a/src/bad.ts',
      to: 'plugins/driver-b/src/main.ts',
    },
    {
      rule: 'sdk-not-cli',
      what: 'the SDK importing the CLI',
      files: { 'proto/src/bad.ts': "import { core } from '../../cli/src/main';\nexport const x = core;\n" },
      from: 'proto/src/bad.ts',
      to: 'cli/src/main.ts',
    },
    {
      rule: 'sdk-not-driver',
      what: 'the SDK importing a driver',
      files: { 'proto/src/bad.ts': "import { a } from '../../plugins/driver-a/src/main';\nexport const x = a;\n" },
      from: 'proto/src/bad.ts',
      to: 'plugins/driver-a/src/main.ts',
    },
    {
      rule: 'no-circular',
      what: 'two modules importing each other, one of them for types only',
      files: {
        'cli/src/one.ts': "import { two } from './two';\nexport interface One { n: number }\nexport const one = two;\n",
        'cli/src/two.ts': "import type { One } from './one';\nexport const two: One = { n: 2 };\n",
      },
      from: 'cli/src/one.ts',
      to: 'cli/src/two.ts',
    },
  ];

  for (const c of cases) {
    it(`${c.rule}: fails on ${c.what}`, async () => {
      const result = await check(c.files);
      assert.notEqual(result.code, 0, 'depcruise exits with an error');
      // "error RULE: FROM → TO" (a circle continues over the following lines).
      assert.match(result.report, new RegExp(`error ${escape(c.rule)}: ${escape(c.from)} →\\s+${escape(c.to)}`), result.report);
      assert.deepEqual(rulesIn(result.report), [c.rule], 'no other rule fires');
    });
  }

  it('the repository keeps every rule', async () => {
    const drivers = fs.readdirSync(path.join(REPO, 'plugins')).filter((d) => fs.existsSync(path.join(REPO, 'plugins', d, 'src')));
    const result = await cruise(REPO, ['cli/src', 'proto/src', ...drivers.map((d) => `plugins/${d}/src`)]);
    assert.deepEqual(rulesIn(result.report), [], result.report);
    assert.equal(result.code, 0, result.report);
  });
});
