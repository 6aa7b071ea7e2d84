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

export function packageDefinitionFromJSON(protobuf: ProtobufModule, json: Protobuf.INamespace, options: ConversionOptions): PackageDefinition {
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
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
  return out;
}
