// @machine/driver-sdk: types, errors and constants. Importing this entry
// point loads no gRPC; the gRPC parts live behind their own entry points:
//   @machine/driver-sdk/serve        serveDriver() for driver authors
//   @machine/driver-sdk/host         launchDriver() for the core
//   @machine/driver-sdk/conformance  runConformance() for mocha

// For driver authors
export { DriverError } from './driver';
export type { Driver, DriverContext, DriverInfo, DriverLogger } from './driver';
export type { ServeOptions } from './serve';
export { generateSSHKeyPair, writeSSHKeyPair, publicKeyFromPrivate, toOpenSSHPublicKey, generateEd25519HostKey, SSH_RSA_BITS } from './ssh-keys';
export type { SSHKeyPair, SSHKeyFiles, HostKey } from './ssh-keys';
export { baseDriverState } from './base-driver';
export type { BaseDriverState } from './base-driver';

// For hosts
export { DriverCallError, isDriverCallError } from './errors';
export type { CallOptions, DriverClient, LaunchOptions, MachineCall, OperationOutcome, StreamOptions } from './client';

// Shared shapes
export type * from './types';
export * from './constants';
import { HOST_REGISTRY } from './constants';

/** serveDriver without importing gRPC until it is called. */
export async function serveDriver(...args: Parameters<typeof import('./serve').serveDriver>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./serve') as typeof import('./serve')).serveDriver(...args);
}

/** launchDriver without importing gRPC until it is called. */
export async function launchDriver(
  ...args: Parameters<typeof import('./host').launchDriver>
): ReturnType<typeof import('./host').launchDriver> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./host') as typeof import('./host')).launchDriver(...args);
}

/** Stops every driver this process launched; loads nothing when none was. */
export async function closeAllDrivers(): Promise<void> {
  // host.ts registers itself here when loaded, under a global key so that
  // every copy of this package (or a bundle) finds it.
  const host = (globalThis as Record<symbol, unknown>)[HOST_REGISTRY] as { closeAllDrivers(): Promise<void> } | undefined;
  if (host) await host.closeAllDrivers();
}
