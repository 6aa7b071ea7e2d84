#!/usr/bin/env node
// npm init machine-driver NAME [--dir DIR] [--sdk VERSION]
//
// Writes the documented layout of a third-party driver package (see the
// driver-author guide in @machine/driver-sdk's README):
//   package.json   "oclif": {} (what `machine plugins install` needs to accept it),
//                  "machine": { "drivers": { NAME: "bin/machine-driver-NAME" } },
//                  the SDK, esbuild and TypeScript as devDependencies only:
//                  the bundle in dist/ is what ships, so installing the
//                  package fetches nothing.
//   src/main.ts    the driver
//   bin/machine-driver-NAME   the executable: runs dist/main.js
//   test/conformance.test.js  the conformance kit
//   README.md, tsconfig.json, .gitignore
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const NAME_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function usage(message) {
  if (message) process.stderr.write(`create-machine-driver: ${message}\n`);
  process.stderr.write('usage: npm init machine-driver NAME [-- --dir DIR] [--sdk VERSION]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const out = { name: '', dir: '', sdk: '^0.1.0' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') out.dir = argv[++i] || usage('--dir needs a value');
    else if (a === '--sdk') out.sdk = argv[++i] || usage('--sdk needs a value');
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (!out.name) out.name = a;
    else usage(`unexpected ${a}`);
  }
  if (!out.name) usage('a driver name is required');
  if (!NAME_RE.test(out.name)) usage(`"${out.name}" is not a driver name: lower-case words joined by dashes`);
  out.dir = path.resolve(out.dir || `driver-${out.name}`);
  return out;
}

function files({ name, sdk }) {
  const exe = `machine-driver-${name}`;
  const envPrefix = name.toUpperCase().replace(/-/g, '_');
  const pkg = {
    name: `driver-${name}`,
    version: '0.1.0',
    description: `The ${name} driver for machine`,
    license: 'Apache-2.0',
    keywords: ['machine-driver', 'oclif-plugin'],
    files: ['bin', 'dist', 'README.md'],
    scripts: {
      build: 'tsc -p .',
      bundle: 'machine-bundle-driver lib/main.js dist/main.js',
      prepack: 'npm run build && npm run bundle',
      test: 'mocha test/conformance.test.js',
    },
    oclif: {},
    machine: { drivers: { [name]: `bin/${exe}` } },
    devDependencies: {
      '@machine/driver-sdk': sdk,
      '@types/node': '^20.19.0',
      esbuild: '^0.28.2',
      mocha: '^12.0.3',
      typescript: '^5.9.3',
    },
  };
  return {
    'package.json': JSON.stringify(pkg, null, 2) + '\n',
    'tsconfig.json':
      JSON.stringify(
        { compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, rootDir: 'src', outDir: 'lib', esModuleInterop: true, skipLibCheck: true, types: ['node'] }, include: ['src'] },
        null,
        2,
      ) + '\n',
    '.gitignore': 'node_modules/\nlib/\ndist/\n*.tgz\n',
    [`bin/${exe}`]: `#!/usr/bin/env node\n'use strict';\n// The bundle holds the driver and the SDK: nothing else is installed with this package.\nrequire('../dist/main.js');\n`,
    'src/main.ts': `// The ${name} driver. The core provisions the machine over SSH after Create
// (info.provisioning "ssh"); set it to "none" if your service hands out a
// ready Docker engine at the URL GetURL returns.
import { baseDriverState, DriverError, serveDriver, type BaseDriverState, type Driver, type DriverContext, type FlagSpec, type FlagValues, type MachineStateName, type SSHInfo } from '@machine/driver-sdk';

/**
 * What the core stores for a machine (config.json "Driver"), and hands back
 * to every call. It opens with Docker Machine's BaseDriver fields, so that
 * scripts reading {{.Driver.IPAddress}} or {{.Driver.SSHPort}} with
 * machine inspect work with this driver as with any other.
 */
type State = BaseDriverState & {
  /** The provider's ID of the machine; empty until Create. */
  ID: string;
};

class ${className(name)}Driver implements Driver<State> {
  readonly info = { name: '${name}', version: '0.1.0', description: 'TODO: what this driver makes', provisioning: 'ssh' as const };

  schema(): FlagSpec[] {
    return [
      { name: '${name}-host', type: 'string', description: 'Address of the machine (TODO: replace with your service\\'s flags)', envVar: '${envPrefix}_HOST' },
      { name: '${name}-ssh-user', type: 'string', description: 'SSH user', default: 'root', envVar: '${envPrefix}_SSH_USER' },
      { name: '${name}-ssh-port', type: 'int', description: 'SSH port', default: 22, envVar: '${envPrefix}_SSH_PORT' },
    ];
  }

  configure(ctx: DriverContext, flags: FlagValues): State {
    const host = String(flags['${name}-host'] ?? '');
    if (!host) throw new DriverError('invalid-argument', '--${name}-host is required', { flag: '${name}-host' });
    return {
      ...baseDriverState(ctx.machine, {
        IPAddress: host,
        SSHUser: String(flags['${name}-ssh-user'] ?? 'root'),
        SSHPort: Number(flags['${name}-ssh-port'] ?? 22),
        SSHKeyPath: \`\${ctx.machine.machineDir}/id_rsa\`,
      }),
      ID: '',
    };
  }

  async create(ctx: DriverContext, state: State): Promise<State> {
    ctx.progress('creating the machine');
    // TODO: call your service; honour ctx.signal (Ctrl-C) and undo what was made when it fires.
    return { ...state, ID: state.IPAddress };
  }

  async getState(_ctx: DriverContext, state: State): Promise<MachineStateName> {
    // An unknown machine (never created) reads "Not Found".
    if (!state.ID) return 'Not Found';
    return 'Running';
  }

  async getIP(_ctx: DriverContext, state: State): Promise<string> {
    return state.IPAddress ?? '';
  }

  async getSSHInfo(_ctx: DriverContext, state: State): Promise<SSHInfo> {
    return { host: state.IPAddress, port: state.SSHPort, user: state.SSHUser, keyPath: state.SSHKeyPath };
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async restart(): Promise<void> {}
  async kill(): Promise<void> {}
  async remove(): Promise<void> {
    // TODO: delete what create made; succeed when there is nothing to delete.
  }
}

serveDriver(new ${className(name)}Driver()).catch((err: unknown) => {
  process.stderr.write(\`${name} driver: \${err instanceof Error ? err.message : String(err)}\\n\`);
  process.exit(1);
});
`,
    'test/conformance.test.js': `// The conformance kit: npm test (or: machine driver test ./bin/${exe}).
const path = require('node:path');
const { runConformance } = require('@machine/driver-sdk/conformance');

runConformance(path.join(__dirname, '..', 'bin', '${exe}'), {
  name: '${name}',
  // Flags that make Create slow enough to cancel, where tests may create something; false leaves the check out.
  createFlags: false,
});
`,
    'README.md': `# driver-${name}

The ${name} driver for [machine](https://github.com/machine): \`machine create -d ${name}\`.

## Install

\`\`\`sh
machine plugins install driver-${name}
machine create -d ${name} --help
\`\`\`

## Develop

\`\`\`sh
npm install
npm run build && npm run bundle   # lib/ from src/, then dist/main.js: the driver and the SDK in one file
npm test                          # the conformance kit
machine plugins link .            # try it with your machine
npm publish                       # prepack builds and bundles; dist/ ships, nothing is installed with it
\`\`\`
`,
  };
}

function className(name) {
  return name
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (fs.existsSync(opts.dir) && fs.readdirSync(opts.dir).length > 0) usage(`${opts.dir} exists and is not empty`);
  for (const [rel, content] of Object.entries(files(opts))) {
    const file = path.join(opts.dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: rel.startsWith('bin/') ? 0o755 : 0o644 });
  }
  process.stdout.write(
    `Created driver-${opts.name} in ${opts.dir}.\n\n  cd ${path.relative(process.cwd(), opts.dir) || '.'}\n  npm install\n  npm run build && npm run bundle\n  npm test\n`,
  );
}

main();
