// The architecture, checked on every `npm run lint` (paths are relative to
// the directory depcruise runs in: the repository root).
//   cli/            the core: commands, lifecycle, store, ...
//   plugins/driver-* out-of-process drivers, each on its own
//   proto/          the driver SDK (@machine/driver-sdk), below both
// test/src/integration/architecture.test.ts breaks each rule on purpose.

// A driver package, by path (resolved through the workspace symlink) or by
// name (when its build output is missing and the name cannot be resolved).
const DRIVER = ['^plugins/', '(^|/)node_modules/@machine/driver-(?!sdk)', '^@machine/driver-(?!sdk)'];
const CORE = ['^cli/', '(^|/)node_modules/@machine/cli(/|$)', '^@machine/cli(/|$)'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-not-driver',
      comment: 'The core reaches drivers only as processes, over the driver protocol.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: DRIVER },
    },
    {
      name: 'driver-not-core',
      comment: 'A driver depends on the SDK, never on the core.',
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: CORE },
    },
    {
      name: 'driver-not-other-driver',
      comment: 'Drivers are independent of each other.',
      severity: 'error',
      from: { path: '^plugins/([^/]+)/' },
      to: { path: DRIVER, pathNot: '^plugins/$1/' },
    },
    {
      name: 'sdk-not-cli',
      comment: 'The SDK is published on its own; it cannot need the CLI.',
      severity: 'error',
      from: { path: '^proto/' },
      to: { path: CORE },
    },
    {
      name: 'sdk-not-driver',
      comment: 'The SDK sits below the drivers.',
      severity: 'error',
      from: { path: '^proto/' },
      to: { path: DRIVER },
    },
    {
      name: 'no-circular',
      comment: 'Modules that import each other cannot be understood or loaded one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Type-only imports are part of the architecture too.
    tsPreCompilationDeps: true,
    // Record what build output and packages are, without reading inside them.
    doNotFollow: { path: ['(^|/)node_modules/', '(^|/)(lib|dist)/'] },
    exclude: { path: ['\\.d\\.ts$'] },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
