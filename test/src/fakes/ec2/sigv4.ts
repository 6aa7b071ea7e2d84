// SigV4 checks as EC2 makes them: the signature is recomputed with the AWS
// SDK's own signer from the configured secret and compared.
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';

export interface Credential {
  secretAccessKey: string;
  /** When set, requests with this key must carry this session token. */
  sessionToken?: string;
}

export interface SignatureProblem {
  status: number;
  code: string;
  message: string;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/;

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

export async function verifySigV4(
  req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  keys: Record<string, Credential>,
  region: string,
): Promise<SignatureProblem | undefined> {
  const auth = headerValue(req.headers, 'authorization');
  if (!auth) {
    return { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  }
  const m = AUTH.exec(auth.trim());
  if (!m) {
    return { status: 400, code: 'IncompleteSignature', message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${auth}` };
  }
  const [, accessKeyId, scopeDate, scopeRegion, service, signedHeaders, signature] = m;
  const key = keys[accessKeyId];
  if (!key) {
    return { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  }
  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  const when = parseAmzDate(amzDate);
  if (!when || amzDate.slice(0, 8) !== scopeDate) {
    return { status: 400, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  }
  if (Math.abs(Date.now() - when.getTime()) > 15 * 60 * 1000) {
    return { status: 400, code: 'RequestExpired', message: `Request has expired. Timestamp date is ${amzDate}` };
  }
  if (scopeRegion !== region || service !== 'ec2') {
    return {
      status: 401,
      code: 'AuthFailure',
      message: `Credential should be scoped to a valid region and service, not '${scopeRegion}/${service}'.`,
    };
  }
  const token = headerValue(req.headers, 'x-amz-security-token');
  if (key.sessionToken !== undefined && token !== key.sessionToken) {
    return { status: 401, code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials' };
  }

  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== createHash('sha256').update(req.body).digest('hex')) {
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const v = headerValue(req.headers, name);
    if (v === undefined) {
      return { status: 403, code: 'SignatureDoesNotMatch', message: `The request signature we calculated does not match the signature you provided. Header ${name} is signed but missing.` };
    }
    headers[name] = v;
  }
  const url = new URL(req.url, 'http://placeholder');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const hostHeader = headers.host ?? '';
  const signer = new SignatureV4({
    service,
    region: scopeRegion,
    sha256: Sha256,
    credentials: { accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: token },
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: hostHeader.replace(/:\d+$/, ''),
      path: url.pathname,
      query,
      headers,
      body: req.body.toString('utf8'),
    },
    { signingDate: when },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1];
  if (expected !== signature) {
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return undefined;
}
