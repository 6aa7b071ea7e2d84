import * as assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import * as sinon from 'sinon';
import { camelCase, packageDefinitionFromJSON, warmCodecs } from './package-definition';

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

describe('package definition without eager reflection descriptors', () => {
  const ours = packageDefinitionFromJSON(protobuf, descriptor, options) as unknown as Record<string, Record<string, unknown>>;
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

describe('warming codecs ahead of the first call', () => {
  const hasOwnCodecs = (root: protobuf.Root, name: string): boolean => Object.prototype.hasOwnProperty.call(root.lookupType(name), 'encode');
  /** A definition over `root`, so the test can see the types it uses. */
  const definitionOver = (root: protobuf.Root): ReturnType<typeof packageDefinitionFromJSON> => {
    const fromJSON = sinon.stub(protobuf.Root, 'fromJSON').returns(root);
    try {
      return packageDefinitionFromJSON(protobuf, descriptor, options);
    } finally {
      fromJSON.restore();
    }
  };
  const turns = (n: number): Promise<void> => (n === 0 ? Promise.resolve() : new Promise((r) => setImmediate(r)).then(() => turns(n - 1)));

  it('sets up the named methods\' message types and their field types, one per turn, and nothing else', async () => {
    const fresh = protobuf.Root.fromJSON(descriptor);
    const def = definitionOver(fresh);
    const warming = warmCodecs(def, ['/machine.driver.v1.Driver/Describe']);
    assert.equal(hasOwnCodecs(fresh, 'machine.driver.v1.MachineRequest'), false, 'nothing runs before the event loop turns');
    // An otherwise idle loop, as a host waiting for its driver's handshake
    // has: the warm-up must go on by itself, not one type per other event.
    await new Promise((r) => setTimeout(r, 50));
    warming.stop();
    assert.equal(hasOwnCodecs(fresh, 'machine.driver.v1.MachineRequest'), true);
    assert.equal(hasOwnCodecs(fresh, 'machine.driver.v1.Description'), true);
    assert.equal(hasOwnCodecs(fresh, 'machine.driver.v1.Machine'), true, 'a field\'s message type is part of the work');
    assert.equal(hasOwnCodecs(fresh, 'machine.driver.v1.Metadata'), false, 'another method\'s types are left for their first use');
  });

  it('stops where it is told to', async () => {
    const fresh = protobuf.Root.fromJSON(descriptor);
    const def = definitionOver(fresh);
    warmCodecs(def, ['/machine.driver.v1.Driver/Describe', '/grpc.health.v1.Health/Check']).stop();
    await turns(20);
    assert.equal(hasOwnCodecs(fresh, 'machine.driver.v1.MachineRequest'), false);
    assert.equal(hasOwnCodecs(fresh, 'grpc.health.v1.HealthCheckRequest'), false);
  });
});
