import * as assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import type * as protobuf from 'protobufjs';
import codecs from './gen/codecs';
import { camelCase, packageDefinitionFromCodecs } from './package-definition';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const descriptor = require('./gen/descriptor.json') as protobuf.INamespace;
const options = { longs: Number, enums: String, defaults: true, oneofs: true };

interface MethodLike {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  originalName: string;
  requestSerialize(v: object): Buffer;
  requestDeserialize(b: Buffer): object;
  responseSerialize(v: object): Buffer;
  responseDeserialize(b: Buffer): object;
  requestType: { type: unknown; fileDescriptorProtos: Buffer[] };
}

describe('package definition from the generated codecs', () => {
  const ours = packageDefinitionFromCodecs(descriptor, codecs, options) as unknown as Record<string, Record<string, unknown>>;
  const theirs = protoLoader.fromJSON(descriptor as Parameters<typeof protoLoader.fromJSON>[0], options) as unknown as Record<string, Record<string, unknown>>;

  it('names the same services, messages and enums as proto-loader', () => {
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
    assert.ok(Object.keys(ours).includes('machine.driver.v1.Driver'));
    assert.ok(Object.keys(ours).includes('grpc.health.v1.Health'));
  });

  it('gives every method the same path, streaming flags and original name', () => {
    for (const [name, def] of Object.entries(theirs)) {
      if ('format' in def) {
        assert.equal((ours[name] as { format: string }).format, def.format, name);
        continue;
      }
      assert.deepEqual(Object.keys(ours[name]), Object.keys(def), name);
      for (const [method, m] of Object.entries(def as Record<string, MethodLike>)) {
        const o = (ours[name] as Record<string, MethodLike>)[method];
        assert.deepEqual([o.path, o.requestStream, o.responseStream, o.originalName], [m.path, m.requestStream, m.responseStream, m.originalName], `${name}.${method}`);
      }
    }
  });

  it('serializes and deserializes byte for byte as proto-loader does', () => {
    const driver = ours['machine.driver.v1.Driver'] as Record<string, MethodLike>;
    const reference = theirs['machine.driver.v1.Driver'] as Record<string, MethodLike>;
    const configure = { machine: { name: 'dev', storePath: '/s', machineDir: '/s/machines/dev' }, flags: { 'x-count': { intValue: 3 }, 'x-on': { boolValue: true }, 'x-list': { listValue: { values: ['a', 'b'] } } } };
    const bytes = driver.Configure.requestSerialize(configure);
    assert.deepEqual(bytes, reference.Configure.requestSerialize(configure));
    assert.deepEqual(driver.Configure.requestDeserialize(bytes), reference.Configure.requestDeserialize(bytes));
    const describe = { state: 'Running', ip: '10.0.0.9', url: 'tcp://10.0.0.9:2376' };
    const out = driver.Describe.responseSerialize(describe);
    assert.deepEqual(out, reference.Describe.responseSerialize(describe));
    assert.deepEqual(driver.Describe.responseDeserialize(out), reference.Describe.responseDeserialize(out));
    assert.throws(() => driver.Describe.responseSerialize([] as unknown as object), /expected object with .* structure, got array/);
  });

  it('gives every message of every method the same bytes and objects, defaults, oneofs and enums included', () => {
    // Each sample fills a oneof, a nested message, a repeated field, an enum or bytes.
    const samples: Record<string, object[]> = {
      '/machine.driver.v1.Driver/GetMetadata': [{ name: 'fake', version: '1.2.3', protocolVersions: [1, 2], capabilities: ['describe'], stateVersion: 2, sdk: 'node/0.1.0', provisioning: 'PROVISIONING_NONE' }],
      '/machine.driver.v1.Driver/Create': [{ progress: { message: 'booting' } }, { result: { state: Buffer.from('{"a":1}'), stateVersion: 2, warnings: [{ severity: 'SEVERITY_WARNING', summary: 'slow' }] } }],
      '/machine.driver.v1.Driver/GetSSHInfo': [{ host: '10.0.0.2', port: 22, user: 'docker', keyPath: '/k', hostKey: 'ssh-ed25519 AAAA' }],
      '/grpc.health.v1.Health/Check': [{ status: 'SERVING' }, { status: 'NOT_SERVING' }],
    };
    const request = { machine: { name: 'dev', storePath: '/s', machineDir: '/s/machines/dev', hostKey: 'ssh-rsa AAAA' }, state: Buffer.from('{"ip":"10.0.0.2"}'), stateVersion: 2 };
    let compared = 0;
    for (const [name, def] of Object.entries(theirs)) {
      if ('format' in def) continue;
      for (const [method, m] of Object.entries(def as Record<string, MethodLike>)) {
        const o = (ours[name] as Record<string, MethodLike>)[method];
        const where = `${name}.${method}`;
        // An empty message: every field takes its default on the way out.
        assert.deepEqual(o.requestDeserialize(Buffer.alloc(0)), m.requestDeserialize(Buffer.alloc(0)), where);
        assert.deepEqual(o.responseDeserialize(Buffer.alloc(0)), m.responseDeserialize(Buffer.alloc(0)), where);
        if (name === 'machine.driver.v1.Driver' && method !== 'GetMetadata' && method !== 'GetSchema' && method !== 'Configure') {
          const bytes = o.requestSerialize(request);
          assert.deepEqual(bytes, m.requestSerialize(request), where);
          assert.deepEqual(o.requestDeserialize(bytes), m.requestDeserialize(bytes), where);
        }
        for (const sample of samples[m.path] ?? []) {
          const bytes = o.responseSerialize(sample);
          assert.ok(bytes.length > 0, where);
          assert.deepEqual(bytes, m.responseSerialize(sample), where);
          assert.deepEqual(o.responseDeserialize(bytes), m.responseDeserialize(bytes), where);
          compared++;
        }
      }
    }
    assert.equal(compared, 6);
  });

  it('serializes and deserializes plain message types as proto-loader does', () => {
    const diag = { diagnostics: [{ severity: 'SEVERITY_ERROR', summary: 'no', detail: 'why', flag: 'x-size' }] };
    const o = ours['machine.driver.v1.Diagnostics'] as unknown as { serialize(v: object): Buffer; deserialize(b: Buffer): object };
    const t = theirs['machine.driver.v1.Diagnostics'] as unknown as { serialize(v: object): Buffer; deserialize(b: Buffer): object };
    const bytes = o.serialize(diag);
    assert.deepEqual(bytes, t.serialize(diag));
    assert.deepEqual(o.deserialize(bytes), t.deserialize(bytes));
  });

  it('names what is missing when the generated codecs lag behind the descriptor', () => {
    const stale = { machine: { driver: { v1: {} } } };
    assert.throws(() => packageDefinitionFromCodecs(descriptor, stale, options), /no message type machine\.driver\.v1\.\w+: run npm run gen -w proto/);
  });

  it('still offers the reflection descriptors, computed on first read', () => {
    const o = (ours['machine.driver.v1.Driver'] as Record<string, MethodLike>).Describe.requestType;
    const t = (theirs['machine.driver.v1.Driver'] as Record<string, MethodLike>).Describe.requestType;
    assert.deepEqual(o.type, t.type);
    assert.deepEqual(o.fileDescriptorProtos, t.fileDescriptorProtos);
  });

  it("names methods the way proto-loader's camelCase does", () => {
    assert.equal(camelCase('GetSSHInfo'), 'getSshInfo');
    assert.equal(camelCase('UpgradeState'), 'upgradeState');
    assert.equal(camelCase('Check'), 'check');
  });
});
