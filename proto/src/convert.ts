// Conversions between the generated wire shapes and the plain types in
// types.ts. Type-only imports from gen/, so this module loads no gRPC.
import type { Diagnostic, Diagnostic__Output } from './gen/machine/driver/v1/Diagnostic';
import type { Flag, Flag__Output } from './gen/machine/driver/v1/Flag';
import type { FlagType__Output } from './gen/machine/driver/v1/FlagType';
import type { MachineState__Output } from './gen/machine/driver/v1/MachineState';
import type { Machine__Output } from './gen/machine/driver/v1/Machine';
import type { Value, Value__Output } from './gen/machine/driver/v1/Value';
import type {
  DiagnosticInfo,
  FlagSpec,
  FlagType,
  FlagValue,
  FlagValues,
  JsonObject,
  MachineRef,
  MachineStateName,
} from './types';

const STATE_TO_WIRE: Record<MachineStateName, MachineState__Output> = {
  '': 'MACHINE_STATE_NONE',
  Running: 'MACHINE_STATE_RUNNING',
  Paused: 'MACHINE_STATE_PAUSED',
  Saved: 'MACHINE_STATE_SAVED',
  Stopped: 'MACHINE_STATE_STOPPED',
  Stopping: 'MACHINE_STATE_STOPPING',
  Starting: 'MACHINE_STATE_STARTING',
  Error: 'MACHINE_STATE_ERROR',
  Timeout: 'MACHINE_STATE_TIMEOUT',
  'Not Found': 'MACHINE_STATE_NOT_FOUND',
};
const STATE_FROM_WIRE = new Map<string, MachineStateName>(
  Object.entries(STATE_TO_WIRE).map(([k, v]) => [v, k as MachineStateName]),
);

export function stateToWire(s: MachineStateName): MachineState__Output {
  const w = STATE_TO_WIRE[s];
  if (w === undefined) throw new TypeError(`unknown machine state ${JSON.stringify(s)}`);
  return w;
}

/** Unknown values (a newer driver) read as "Error" rather than failing the call. */
export function stateFromWire(s: string | number): MachineStateName {
  return STATE_FROM_WIRE.get(String(s)) ?? 'Error';
}

const FLAG_TYPE_TO_WIRE: Record<FlagType, FlagType__Output> = {
  string: 'FLAG_TYPE_STRING',
  int: 'FLAG_TYPE_INT',
  bool: 'FLAG_TYPE_BOOL',
  'string-list': 'FLAG_TYPE_STRING_LIST',
};
const FLAG_TYPE_FROM_WIRE = new Map<string, FlagType>(
  Object.entries(FLAG_TYPE_TO_WIRE).map(([k, v]) => [v, k as FlagType]),
);

export function valueToWire(v: FlagValue): Value {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { intValue: Math.trunc(v) };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(String) } };
  throw new TypeError(`unsupported flag value ${JSON.stringify(v)}`);
}

export function valueFromWire(v: Value__Output | null | undefined): FlagValue | undefined {
  if (!v) return undefined;
  switch (v.kind) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'intValue':
      return Number(v.intValue ?? 0);
    case 'boolValue':
      return v.boolValue ?? false;
    case 'listValue':
      return [...(v.listValue?.values ?? [])];
    default:
      return undefined;
  }
}

export function flagValuesToWire(values: FlagValues): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(values)) out[k] = valueToWire(v);
  return out;
}

export function flagValuesFromWire(values: Record<string, Value__Output> | undefined): FlagValues {
  const out: FlagValues = {};
  for (const [k, v] of Object.entries(values ?? {})) {
    const fv = valueFromWire(v);
    if (fv !== undefined) out[k] = fv;
  }
  return out;
}

export function flagToWire(f: FlagSpec): Flag {
  return {
    name: f.name,
    type: FLAG_TYPE_TO_WIRE[f.type],
    description: f.description,
    default: f.default === undefined ? null : valueToWire(f.default),
    envVar: f.envVar ?? '',
    required: f.required ?? false,
    sensitive: f.sensitive ?? false,
  };
}

export function flagFromWire(f: Flag__Output): FlagSpec {
  const type = FLAG_TYPE_FROM_WIRE.get(String(f.type));
  if (!type) throw new TypeError(`flag ${JSON.stringify(f.name)} has unknown type ${JSON.stringify(f.type)}`);
  const spec: FlagSpec = { name: f.name, type, description: f.description };
  const def = valueFromWire(f.default);
  if (def !== undefined) spec.default = def;
  if (f.envVar) spec.envVar = f.envVar;
  if (f.required) spec.required = true;
  if (f.sensitive) spec.sensitive = true;
  return spec;
}

export function diagnosticToWire(d: DiagnosticInfo): Diagnostic {
  return {
    severity: d.severity === 'warning' ? 'SEVERITY_WARNING' : 'SEVERITY_ERROR',
    summary: d.summary,
    detail: d.detail ?? '',
    flag: d.flag ?? '',
  };
}

export function diagnosticFromWire(d: Diagnostic__Output): DiagnosticInfo {
  const out: DiagnosticInfo = {
    severity: String(d.severity) === 'SEVERITY_WARNING' ? 'warning' : 'error',
    summary: d.summary,
  };
  if (d.detail) out.detail = d.detail;
  if (d.flag) out.flag = d.flag;
  return out;
}

export function machineFromWire(m: Machine__Output | null | undefined): MachineRef {
  const ref: MachineRef = { name: m?.name ?? '', storePath: m?.storePath ?? '', machineDir: m?.machineDir ?? '' };
  if (m?.sshHostKey) ref.sshHostKey = m.sshHostKey;
  return ref;
}

export function stateToBytes(state: JsonObject): Buffer {
  return Buffer.from(JSON.stringify(state), 'utf8');
}

/** Empty bytes mean "no state yet" and read as {}. Throws SyntaxError/TypeError on bad input. */
export function stateFromBytes(bytes: Buffer | Uint8Array | undefined | null): JsonObject {
  if (!bytes || bytes.length === 0) return {};
  const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('driver state must be a JSON object');
  }
  return parsed as JsonObject;
}
