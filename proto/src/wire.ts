// Loads @grpc/grpc-js and the generated descriptor. Only serve.ts, host.ts
// and the conformance kit call loadWire(); nothing here runs on import.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type * as Protobuf from 'protobufjs';
import { packageDefinitionFromCodecs, type StaticCodecs } from './package-definition';
import type { ProtoGrpcType as DriverProto } from './gen/driver';
import type { ProtoGrpcType as HealthProto } from './gen/health';
import type { ProtoGrpcType as ControllerProto } from './gen/grpc_controller';
import type { Diagnostics, Diagnostics__Output } from './gen/machine/driver/v1/Diagnostics';

export type Grpc = typeof grpcTypes;
export type Protos = DriverProto & HealthProto & ControllerProto;

export interface Wire {
  grpc: Grpc;
  packageDefinition: PackageDefinition;
  protos: Protos;
  encodeDiagnostics(d: Diagnostics): Buffer;
  decodeDiagnostics(b: Buffer): Diagnostics__Output;
}

let cached: Wire | undefined;

/** Milliseconds spent in the first loadWire() of this process, for diagnostics and benchmarks. */
export const loadTimings: { grpcMs?: number; codecsMs?: number; descriptorMs?: number } = {};

/**
 * The runtime bundle when it is at least as new as this file (see runtime.ts),
 * else the packages themselves. Inside a driver's own bundle the path does not
 * exist and the bundled packages are used. MACHINE_NO_RUNTIME_BUNDLE=1 skips it.
 */
function bundledRuntime(): { grpc: Grpc; codecs: StaticCodecs } | undefined {
  if (process.env.MACHINE_NO_RUNTIME_BUNDLE) return undefined;
  const bundle = path.join(__dirname, '..', 'dist', 'runtime.js');
  try {
    if (fs.statSync(bundle).mtimeMs < fs.statSync(__filename).mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bundle) as { grpc: Grpc; codecs: StaticCodecs };
}

export function loadWire(): Wire {
  if (cached) return cached;
  let t = performance.now();
  const runtime = bundledRuntime();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const grpc = runtime?.grpc ?? (require('@grpc/grpc-js') as Grpc);
  loadTimings.grpcMs = performance.now() - t;
  t = performance.now();
  // Generated ahead of time (see package-definition.ts); only protobufjs's minimal run time comes with them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const codecs = runtime?.codecs ?? (require('./gen/codecs') as { default: StaticCodecs }).default;
  loadTimings.codecsMs = performance.now() - t;
  t = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const descriptor = require('./gen/descriptor.json') as Protobuf.INamespace;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const opts = require('./gen/options.json') as { keepCase: boolean; longs: string; enums: string; defaults: boolean; oneofs: boolean };
  // The definition proto-loader's fromJSON makes, with the generated codecs.
  const packageDefinition = packageDefinitionFromCodecs(descriptor, codecs, {
    longs: opts.longs === 'String' ? String : Number,
    enums: String,
    defaults: opts.defaults,
    oneofs: opts.oneofs,
  });
  const protos = grpc.loadPackageDefinition(packageDefinition) as unknown as Protos;
  loadTimings.descriptorMs = performance.now() - t;
  const diagnosticsType = protos.machine.driver.v1.Diagnostics;
  cached = {
    grpc,
    packageDefinition,
    protos,
    encodeDiagnostics: (d) => diagnosticsType.serialize(d),
    decodeDiagnostics: (b) => diagnosticsType.deserialize(b),
  };
  return cached;
}
