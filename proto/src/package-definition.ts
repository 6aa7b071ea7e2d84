// The package definition that proto-loader's fromJSON returns, built with
// the same protobufjs calls but with the descriptor parts made lazy.
//
// fromJSON encodes a FileDescriptorProto of the whole package and a
// DescriptorProto of every request and response type up front. Only server
// reflection reads them, and we serve none; computing them costs about 25 ms
// at every start of every driver, on the path of each command that launches
// one (it was a quarter of what a driver does before its handshake line).
// Everything grpc-js uses (paths, streaming flags, serializers) is built
// exactly as proto-loader 0.8 builds it; `type` and `fileDescriptorProtos`
// are still there, computed on first read.
import type * as Protobuf from 'protobufjs';
import type { EnumTypeDefinition, MessageTypeDefinition, MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';

export type ProtobufModule = typeof Protobuf;

/** What the generated bindings were made with (gen/options.json). */
export type ConversionOptions = Protobuf.IConversionOptions;

type AnyDefinition = ServiceDefinition | MessageTypeDefinition<object, object> | EnumTypeDefinition;

const DESCRIPTOR_OPTIONS: Protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, oneofs: true, json: true };

/** lodash's camelCase for proto identifiers, which proto-loader uses for originalName ("GetSSHInfo" → "getSshInfo"). */
export function camelCase(name: string): string {
  const words = name.match(/[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g) ?? [];
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
}

function serializer(type: Protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return Buffer.from(type.encode(type.fromObject(value)).finish());
  };
}

function deserializer(type: Protobuf.Type, options: ConversionOptions): (buf: Buffer) => object {
  return (buf) => type.toObject(type.decode(buf), options);
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

/** protobufjs's descriptor extension adds toDescriptor() to its classes; only reflection needs it. */
function descriptorExtension(): { FileDescriptorProto: Protobuf.Type } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('protobufjs/ext/descriptor') as { FileDescriptorProto: Protobuf.Type };
}

/** Each definition's methods by path, and its messages by full name, with the message types their codecs use. */
const methodTypes = new WeakMap<PackageDefinition, Map<string, Protobuf.Type[]>>();

/** A type and, depth first, the message types of its fields: what encoding or decoding it sets up. */
function withFieldTypes(protobuf: ProtobufModule, type: Protobuf.Type, out: Protobuf.Type[] = []): Protobuf.Type[] {
  if (out.includes(type)) return out;
  out.push(type);
  for (const f of type.fieldsArray) {
    const t = f.resolve().resolvedType;
    if (t instanceof protobuf.Type) withFieldTypes(protobuf, t, out);
  }
  return out;
}

/**
 * Generates the codecs of these methods' message types ahead of their first
 * call, one type per turn of the event loop, until stop() is called.
 * protobufjs compiles a type's encoder, decoder and converters with
 * new Function on first use, about a millisecond a type; a process that is
 * only waiting (a host for its driver's handshake line, a driver for its
 * host's first call) can do it then instead of in the call's path.
 */
export function warmCodecs(definition: PackageDefinition, pathsOrMessages: readonly string[]): { stop(): void } {
  const byPath = methodTypes.get(definition);
  const queue: Protobuf.Type[] = [];
  for (const p of pathsOrMessages) for (const t of byPath?.get(p) ?? []) if (!queue.includes(t)) queue.push(t);
  let timer: NodeJS.Immediate | undefined;
  const step = (): void => {
    const type = queue.shift();
    if (!type) return;
    // setup() replaces the prototype's set-up-on-first-use stubs with own properties.
    if (!Object.prototype.hasOwnProperty.call(type, 'encode')) type.setup();
    void type.ctor;
    if (queue.length > 0) timer = setImmediate(step);
  };
  // Referenced: with only unreferenced immediates pending, the loop blocks
  // waiting for I/O between them, so a waiting process would warm one type
  // per event. The queue is a handful of types, so it holds an exit back by
  // a few milliseconds at most.
  timer = setImmediate(step);
  return { stop: () => clearImmediate(timer) };
}

export function packageDefinitionFromJSON(protobuf: ProtobufModule, json: Protobuf.INamespace, options: ConversionOptions): PackageDefinition {
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const typesOf = new Map<string, Protobuf.Type[]>();
  let files: Buffer[] | undefined;
  const fileDescriptorProtos = (): Buffer[] => {
    if (!files) {
      const descriptor = descriptorExtension();
      const set = (root as unknown as { toDescriptor(syntax: string): { file: object[] } }).toDescriptor('proto3');
      files = set.file.map((f) => Buffer.from(descriptor.FileDescriptorProto.encode(f as Protobuf.Message).finish()));
    }
    return files;
  };
  const describe = (obj: Protobuf.Type | Protobuf.Enum): unknown => {
    descriptorExtension();
    const d = (obj as unknown as { toDescriptor(syntax: string): Protobuf.Message & { $type: Protobuf.Type } }).toDescriptor('proto3');
    return d.$type.toObject(d, DESCRIPTOR_OPTIONS);
  };
  const message = (type: Protobuf.Type, format: string): MessageTypeDefinition<object, object> => {
    const def = { format, serialize: serializer(type), deserialize: deserializer(type, options) } as unknown as MessageTypeDefinition<object, object>;
    lazy(def, 'type', () => describe(type));
    lazy(def, 'fileDescriptorProtos', fileDescriptorProtos);
    return def;
  };

  const out: Record<string, AnyDefinition> = {};
  const visit = (ns: Protobuf.ReflectionObject, prefix: string): void => {
    const name = prefix ? `${prefix}.${ns.name}` : ns.name;
    if (ns instanceof protobuf.Service) {
      const service: Record<string, MethodDefinition<object, object>> = {};
      for (const m of ns.methodsArray) {
        const req = m.resolvedRequestType as Protobuf.Type;
        const res = m.resolvedResponseType as Protobuf.Type;
        typesOf.set(`/${name}/${m.name}`, withFieldTypes(protobuf, res, withFieldTypes(protobuf, req)));
        service[m.name] = {
          path: `/${name}/${m.name}`,
          requestStream: !!m.requestStream,
          responseStream: !!m.responseStream,
          requestSerialize: serializer(req),
          requestDeserialize: deserializer(req, options),
          responseSerialize: serializer(res),
          responseDeserialize: deserializer(res, options),
          originalName: camelCase(m.name),
          requestType: message(req, 'Protocol Buffer 3 DescriptorProto'),
          responseType: message(res, 'Protocol Buffer 3 DescriptorProto'),
          options: { deprecated: false, idempotency_level: 'IDEMPOTENCY_UNKNOWN', uninterpreted_option: [] },
        } as unknown as MethodDefinition<object, object>;
      }
      out[name] = service;
    } else if (ns instanceof protobuf.Type) {
      typesOf.set(name, withFieldTypes(protobuf, ns));
      out[name] = message(ns, 'Protocol Buffer 3 DescriptorProto');
    } else if (ns instanceof protobuf.Enum) {
      const def = { format: 'Protocol Buffer 3 EnumDescriptorProto' } as unknown as EnumTypeDefinition;
      lazy(def, 'type', () => describe(ns));
      lazy(def, 'fileDescriptorProtos', fileDescriptorProtos);
      out[name] = def;
    } else if (ns instanceof protobuf.Namespace && ns.nested) {
      for (const child of ns.nestedArray) visit(child, ns instanceof protobuf.Root ? '' : name);
    }
  };
  visit(root, '');
  methodTypes.set(out, typesOf);
  return out;
}
