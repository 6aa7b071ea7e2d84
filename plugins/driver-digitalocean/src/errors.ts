// API errors → one clear line for the user, naming the flag to fix and
// carrying the API's own id and message.
import { DriverError, type ErrorCode } from '@machine/driver-sdk';
import { DoApiError, DoNetworkError } from './api';
import type { DOState } from './flags';

/** The flag at fault when the API rejects the token. */
export function credentialFlag(state: Pick<DOState, 'AccessToken' | 'DoctlContext'>): string {
  return !state.AccessToken && state.DoctlContext ? 'digitalocean-context' : 'digitalocean-access-token';
}

const apiWords = (err: DoApiError) => `${err.id}: ${err.apiMessage}`;

/**
 * Wraps an error from an API call. `action` says what the driver was doing
 * ("create the droplet"), for the message.
 */
export function translateError(err: unknown, state: DOState, action: string): Error {
  if (err instanceof DriverError) return err;
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return new DriverError('cancelled', `cancelled while trying to ${action}`, { cause: err });
  }
  if (err instanceof DoNetworkError) {
    const custom = state.ApiURL.replace(/\/$/, '') !== 'https://api.digitalocean.com';
    return new DriverError('unavailable', `cannot reach the DigitalOcean API at ${err.baseUrl} to ${action}${custom ? ': check --digitalocean-api-url' : ': check the network'}`, {
      flag: custom ? 'digitalocean-api-url' : undefined,
      detail: err.message,
      cause: err,
    });
  }
  if (!(err instanceof DoApiError)) {
    const message = err instanceof Error ? err.message : String(err);
    return new DriverError('internal', `failed to ${action}: ${message}`, { cause: err });
  }
  const fail = (code: ErrorCode, summary: string, flag?: string) =>
    new DriverError(code, summary, { flag, detail: `${err.method} ${err.path} answered ${err.status}${err.requestId ? ` (request ${err.requestId})` : ''}`, cause: err });
  const text = err.apiMessage.toLowerCase();

  if (err.status === 401) {
    const flag = credentialFlag(state);
    return fail('unauthenticated', `DigitalOcean did not accept the access token (${apiWords(err)}): check --${flag}`, flag);
  }
  if (err.status === 403) {
    const flag = credentialFlag(state);
    return fail('permission-denied', `the access token may not ${action} (${apiWords(err)}): use a token with write scope (--${flag})`, flag);
  }
  if (err.status === 429) {
    return fail('unavailable', `DigitalOcean kept rate-limiting requests while trying to ${action} (${apiWords(err)}): try again after the limit resets`);
  }
  if (err.status === 422 || err.status === 400) {
    // DigitalOcean names the field at fault in the message.
    if (/size/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the size "${state.Size}" (${apiWords(err)}): check --digitalocean-size`, 'digitalocean-size');
    if (/image/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the image "${state.Image}" (${apiWords(err)}): check --digitalocean-image`, 'digitalocean-image');
    if (/vpc/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the VPC "${state.VpcUUID ?? ''}" (${apiWords(err)}): check --digitalocean-vpc-uuid`, 'digitalocean-vpc-uuid');
    if (/region/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the region "${state.Region}" (${apiWords(err)}): check --digitalocean-region`, 'digitalocean-region');
    if (/tag/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the tags (${apiWords(err)}): check --digitalocean-tags`, 'digitalocean-tags');
    if (/user.?data/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the user data (${apiWords(err)}): check --digitalocean-userdata`, 'digitalocean-userdata');
    if (/ssh|key|fingerprint/.test(text)) return fail('invalid-argument', `DigitalOcean rejected the SSH key (${apiWords(err)}): check --digitalocean-ssh-key-path`, 'digitalocean-ssh-key-path');
    if (/droplet limit|limit/.test(text)) return fail('resource-exhausted', `the account's droplet limit is reached (${apiWords(err)}): remove droplets or ask DigitalOcean for a higher limit`);
    return fail('invalid-argument', `DigitalOcean rejected the request to ${action} (${apiWords(err)})`);
  }
  if (err.status === 404) return fail('not-found', `failed to ${action}: ${apiWords(err)}`);
  if (err.status >= 500) return fail('unavailable', `DigitalOcean kept failing while trying to ${action} (${err.status} ${apiWords(err)}): try again later`);
  return fail('internal', `failed to ${action}: ${err.status} ${apiWords(err)}`);
}
