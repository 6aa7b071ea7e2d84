import * as assert from 'node:assert/strict';
import { formatHandshake, HandshakeError, negotiateVersion, parseHandshake, parseVersionList } from './handshake';

describe('handshake', () => {
  it('parses PLUGIN_PROTOCOL_VERSIONS, ignoring junk', () => {
    assert.equal(parseVersionList(undefined), undefined);
    assert.equal(parseVersionList(' '), undefined);
    assert.deepEqual(parseVersionList('1, 2,x,0,-3'), [1, 2]);
  });

  it('negotiates the highest common version, or none', () => {
    assert.equal(negotiateVersion([1, 2, 3], [2, 3, 9]), 3);
    assert.equal(negotiateVersion([1], [5, 6]), undefined);
    assert.equal(negotiateVersion([1, 2], undefined), 2);
  });

  it('formats go-plugin\'s line with an unpadded base64 certificate', () => {
    assert.equal(formatHandshake({ app: 1, network: 'unix', address: '/s/d.sock', protocol: 'grpc' }), '1|1|unix|/s/d.sock|grpc|\n');
    const der = Buffer.alloc(61, 7);
    const line = formatHandshake({ app: 1, network: 'tcp', address: '127.0.0.1:5', protocol: 'grpc', certDer: der });
    assert.ok(!line.includes('='));
    assert.deepEqual(parseHandshake(line, [1]).certDer, der);
  });

  it('round-trips and validates lines', () => {
    const hs = parseHandshake('1|1|tcp|127.0.0.1:1234|grpc|\n', [1]);
    assert.deepEqual(hs, { core: 1, app: 1, network: 'tcp', address: '127.0.0.1:1234', protocol: 'grpc', certDer: undefined });
    assert.throws(() => parseHandshake('hello', [1]), (e: unknown) => e instanceof HandshakeError && /instead of the handshake line/.test(e.message));
    assert.throws(() => parseHandshake('2|1|unix|/x|grpc|', [1]), /core protocol "2".*rebuild/);
    assert.throws(() => parseHandshake('1|3|unix|/x|grpc|', [1, 2]), /driver answered with version 3, this host speaks 1, 2/);
    assert.throws(() => parseHandshake('1|1|pipe|/x|grpc|', [1]), /network "pipe"/);
    assert.throws(() => parseHandshake('1|1|unix|/x', [1]), /"netrpc"/);
    assert.throws(() => parseHandshake('1|1|unix||grpc|', [1]), /empty address/);
  });
});
