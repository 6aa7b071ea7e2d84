/**
 * The CLI as a library, for tests, benchmarks and embedding. Importing it
 * loads neither @oclif/core, gRPC nor node-forge; command/oclif.ts is
 * imported by path by the commands that need it.
 */
export * from './errors';
export { machineNameProblem, isValidMachineName } from './names';
export * as store from './store';
export * as certs from './certs';
export * as discovery from './discovery';
export * as format from './format';
export { CommandContext, globalOptionsFrom, type GlobalOptions } from './command/context';
export type { CommandSpec, CommandInput, FlagDef, FlagDefs, ParsedFlags } from './command/spec';
export { runFast, runSpec } from './command/dispatch';
