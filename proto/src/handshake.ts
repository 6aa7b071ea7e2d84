// The go-plugin handshake: version negotiation and the stdout line
// CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT. Pure functions, shared by both sides.
import { CORE_PROTOCOL_VERSION } from './constants';

export interface HandshakeLine {
  core: number;
  app: number;
  network: 'unix' | 'tcp';
  address: string;
  protocol: string;
  /** Server certificate as DER, present with AutoMTLS. */
  certDer?: Buffer;
}

/** Parses PLUGIN_PROTOCOL_VERSIONS ("1,2"); undefined when unset or empty. */
export function parseVersionList(value: string | undefined): number[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const out: number[] = [];
  for (const part of value.split(',')) {
    const n = Number(part.trim());
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/**
 * The highest version both sides speak. When the host sent no list, go-plugin
 * falls back to the plugin's own default, which is the highest it speaks.
 */
export function negotiateVersion(ours: readonly number[], theirs: readonly number[] | undefined): number | undefined {
  const sorted = [...ours].sort((a, b) => b - a);
  if (theirs === undefined) return sorted[0];
  return sorted.find((v) => theirs.includes(v));
}

export function formatHandshake(line: Omit<HandshakeLine, 'core'>): string {
  // go-plugin writes the certificate with base64.RawStdEncoding (no padding)
  // because the line must stay one line.
  const cert = line.certDer ? line.certDer.toString('base64').replace(/=+$/, '') : '';
  return `${CORE_PROTOCOL_VERSION}|${line.app}|${line.network}|${line.address}|${line.protocol}|${cert}\n`;
}

export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

/** Parses and validates the first stdout line of a driver. Throws HandshakeError. */
export function parseHandshake(raw: string, hostVersions: readonly number[]): HandshakeLine {
  const text = raw.replace(/\r?\n$/, '');
  const parts = text.split('|');
  if (parts.length < 4) {
    throw new HandshakeError(
      `the driver printed ${JSON.stringify(truncate(text))} instead of the handshake line ` +
        `"CORE|APP|NETWORK|ADDRESS|grpc|"; a driver must print nothing else on stdout before it`,
    );
  }
  const core = Number(parts[0]);
  if (core !== CORE_PROTOCOL_VERSION) {
    throw new HandshakeError(
      `the driver speaks plugin core protocol ${JSON.stringify(parts[0])} but this host speaks ${CORE_PROTOCOL_VERSION}; ` +
        'rebuild the driver with a current SDK (go-plugin or @machine/driver-sdk)',
    );
  }
  const app = Number(parts[1]);
  if (!Number.isInteger(app) || !hostVersions.includes(app)) {
    throw new HandshakeError(
      `no common driver protocol version: the driver answered with version ${parts[1]}, ` +
        `this host speaks ${hostVersions.join(', ')}; install a driver release for protocol ${hostVersions.join(' or ')}`,
    );
  }
  const network = parts[2];
  if (network !== 'unix' && network !== 'tcp') {
    throw new HandshakeError(`the driver announced network ${JSON.stringify(network)}; only "unix" and "tcp" are supported`);
  }
  const address = parts[3];
  if (!address) throw new HandshakeError('the driver announced an empty address');
  // go-plugin assumes netrpc when the field is missing; this host only speaks gRPC.
  const protocol = parts[4] ?? 'netrpc';
  if (protocol !== 'grpc') {
    throw new HandshakeError(`the driver speaks plugin protocol ${JSON.stringify(protocol)}; machine drivers must use "grpc"`);
  }
  const cert = parts[5] ?? '';
  // go-plugin only treats the field as a certificate when it is longer than 50 characters.
  const certDer = cert.length > 50 ? Buffer.from(cert, 'base64') : undefined;
  return { core, app, network, address, protocol, certDer };
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
