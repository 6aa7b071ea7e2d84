// The package definition that proto-loader's fromJSON returns, built from
// the descriptor and codecs generated ahead of time instead of from
// protobufjs's reflection at run time.
//
// fromJSON builds a protobufjs Root from the descriptor, generates each
// message type's encoder, decoder and converters with new Function on first
// use, and encodes a FileDescriptorProto of the whole package and a
// DescriptorProto of every request and response type up front. In a host or
// a driver that is 25 to 30 ms of CPU at every start, on the path of each
// command that launches a driver: loading full protobufjs, the Root, one
// code generation per message type, and descriptors that only server
// reflection reads (we serve none). Here every codec comes from
// gen/codecs.ts, which protobufjs's own pbjs generated from the same
// descriptor with the same converters, so the bytes and objects are the
// ones proto-loader would give (package-definition.test.ts compares them);
// `type` and `fileDescriptorProtos` are still there, computed on first read
// with full protobufjs.
import type * as Protobuf from 'protobufjs';
import type { EnumTypeDefinition, MessageTypeDefinition, MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';

/** What the generated bindings were made with (gen/options.json). */
export type ConversionOptions = Protobuf.IConversionOptions;

/** One message type of the generated codecs (gen/codecs.ts), as far as gRPC uses it. */
export interface StaticMessage {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  fromObject(value: object): object;
  toObject(message: object, options: ConversionOptions): object;
}

/** The generated codecs' namespace tree: packages by name, message types as leaves. */
export type StaticCodecs = object;

type AnyDefinition = ServiceDefinition | MessageTypeDefinition<object, object> | EnumTypeDefinition;

const DESCRIPTOR_OPTIONS: Protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, oneofs: true, json: true };

/** lodash's camelCase for proto identifiers, which proto-loader uses for originalName ("GetSSHInfo" → "getSshInfo"). */
export function camelCase(name: string): string {
  const words = name.match(/[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g) ?? [];
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
}

/** The descriptor's JSON (protobufjs's Root.toJSON), as far as this file reads it. */
interface JsonNode {
  nested?: Record<string, JsonNode>;
  fields?: object;
  values?: object;
  methods?: Record<string, { requestType: string; responseType: string; requestStream?: boolean; responseStream?: boolean }>;
}

/** Defines `key` on `target` as a getter that computes once. */
function lazy<T extends object, K extends string>(target: T, key: K, compute: () => unknown): void {
  let value: unknown;
  let done = false;
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      if (!done) {
        value = compute();
        done = true;
      }
      return value;
    },
  });
}

/** The reflection side, for server reflection only: full protobufjs, its descriptor extension and a Root, made on first use. */
function reflection(json: Protobuf.INamespace): () => { root: Protobuf.Root; FileDescriptorProto: Protobuf.Type } {
  let made: { root: Protobuf.Root; FileDescriptorProto: Protobuf.Type } | undefined;
  return () => {
    if (!made) {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const protobuf = require('protobufjs') as typeof Protobuf;
      const { FileDescriptorProto } = require('protobufjs/ext/descriptor') as { FileDescriptorProto: Protobuf.Type };
      /* eslint-enable @typescript-eslint/no-require-imports */
      const root = protobuf.Root.fromJSON(json);
      root.resolveAll();
      made = { root, FileDescriptorProto };
    }
    return made;
  };
}

/**
 * The full name a method's request or response type refers to, resolved as
 * protobuf does: an absolute name (leading dot) as it is, otherwise in the
 * service's package, then each enclosing one.
 */
function resolveTypeName(ref: string, scope: string, known: ReadonlySet<string>): string {
  if (ref.startsWith('.')) return ref.slice(1);
  const parts = scope ? scope.split('.') : [];
  for (let n = parts.length; n >= 0; n--) {
    const candidate = [...parts.slice(0, n), ref].join('.');
    if (known.has(candidate)) return candidate;
  }
  throw new Error(`the protocol descriptor names an unknown type "${ref}" in ${scope || 'the root package'}`);
}

/** The full name of every message type, nested ones (Outer.Inner) included: what a method may take or return. */
function messageNamesOf(node: JsonNode, prefix = '', into = new Set<string>()): Set<string> {
  for (const [child, sub] of Object.entries(node.nested ?? {})) {
    const name = prefix ? `${prefix}.${child}` : child;
    if (sub.fields) into.add(name);
    messageNamesOf(sub, name, into);
  }
  return into;
}

function staticMessage(codecs: StaticCodecs, fullName: string): StaticMessage {
  let node: unknown = codecs;
  for (const part of fullName.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  const t = node as Partial<StaticMessage> | undefined;
  if (!t || typeof t.encode !== 'function' || typeof t.decode !== 'function' || typeof t.fromObject !== 'function' || typeof t.toObject !== 'function') {
    throw new Error(`the generated codecs have no message type ${fullName}: run npm run gen -w proto`);
  }
  return t as StaticMessage;
}

interface Codec {
  serialize(value: object): Buffer;
  deserialize(buf: Buffer): object;
}

/** What proto-loader's serializer and deserializer of the type do, with the generated codecs. */
function codecOf(codecs: StaticCodecs, fullName: string, options: ConversionOptions): Codec {
  const type = staticMessage(codecs, fullName);
  const name = fullName.slice(fullName.lastIndexOf('.') + 1);
  return {
    serialize: (value) => {
      if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${name} structure, got array instead`);
      return Buffer.from(type.encode(type.fromObject(value)).finish());
    },
    deserialize: (buf) => type.toObject(type.decode(buf), options),
  };
}

/**
 * proto-loader's fromJSON(json, options), with the codecs `codecs` (gen/codecs.ts,
 * generated from `json`) instead of ones generated at run time.
 */
export function packageDefinitionFromCodecs(json: Protobuf.INamespace, codecs: StaticCodecs, options: ConversionOptions): PackageDefinition {
  // Every object by full name, in the order proto-loader lists them.
  const objects: Array<{ name: string; node: JsonNode }> = [];
  const collect = (node: JsonNode, prefix: string): void => {
    for (const [child, sub] of Object.entries(node.nested ?? {})) {
      const name = prefix ? `${prefix}.${child}` : child;
      objects.push({ name, node: sub });
      // As proto-loader does: a message's nested types and enums are not listed.
      if (!sub.fields && !sub.methods && !sub.values) collect(sub, name);
    }
  };
  collect(json as JsonNode, '');
  const messageNames = messageNamesOf(json as JsonNode);
  const codecByName = new Map<string, Codec>();
  const codec = (fullName: string): Codec => {
    let c = codecByName.get(fullName);
    if (!c) codecByName.set(fullName, (c = codecOf(codecs, fullName, options)));
    return c;
  };
  const reflect = reflection(json);
  let files: Buffer[] | undefined;
  const fileDescriptorProtos = (): Buffer[] => {
    if (!files) {
      const { root, FileDescriptorProto } = reflect();
      const set = (root as unknown as { toDescriptor(syntax: string): { file: object[] } }).toDescriptor('proto3');
      files = set.file.map((f) => Buffer.from(FileDescriptorProto.encode(f as Protobuf.Message).finish()));
    }
    return files;
  };
  const describe = (fullName: string): unknown => {
    const obj = reflect().root.lookup(fullName);
    const d = (obj as unknown as { toDescriptor(syntax: string): Protobuf.Message & { $type: Protobuf.Type } }).toDescriptor('proto3');
    return d.$type.toObject(d, DESCRIPTOR_OPTIONS);
  };
  const message = (fullName: string): MessageTypeDefinition<object, object> => {
    const { serialize, deserialize } = codec(fullName);
    const def = { format: 'Protocol Buffer 3 DescriptorProto', serialize, deserialize } as unknown as MessageTypeDefinition<object, object>;
    lazy(def, 'type', () => describe(fullName));
    lazy(def, 'fileDescriptorProtos', fileDescriptorProtos);
    return def;
  };

  const out: Record<string, AnyDefinition> = {};
  for (const { name, node } of objects) {
    if (node.methods) {
      const scope = name.split('.').slice(0, -1).join('.');
      const service: Record<string, MethodDefinition<object, object>> = {};
      for (const [method, m] of Object.entries(node.methods)) {
        const req = resolveTypeName(m.requestType, scope, messageNames);
        const res = resolveTypeName(m.responseType, scope, messageNames);
        service[method] = {
          path: `/${name}/${method}`,
          requestStream: !!m.requestStream,
          responseStream: !!m.responseStream,
          requestSerialize: codec(req).serialize,
          requestDeserialize: codec(req).deserialize,
          responseSerialize: codec(res).serialize,
          responseDeserialize: codec(res).deserialize,
          originalName: camelCase(method),
          requestType: message(req),
          responseType: message(res),
          options: { deprecated: false, idempotency_level: 'IDEMPOTENCY_UNKNOWN', uninterpreted_option: [] },
        } as unknown as MethodDefinition<object, object>;
      }
      out[name] = service;
    } else if (node.fields) {
      out[name] = message(name);
    } else if (node.values) {
      const def = { format: 'Protocol Buffer 3 EnumDescriptorProto' } as unknown as EnumTypeDefinition;
      lazy(def, 'type', () => describe(name));
      lazy(def, 'fileDescriptorProtos', fileDescriptorProtos);
      out[name] = def;
    }
  }
  return out;
}
