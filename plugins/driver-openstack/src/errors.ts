// OpenStack errors → one clear line for the user, naming the flag to fix.
import { DriverError, type ErrorCode } from '@machine/driver-sdk';
import { OpenStackError } from './client';

export function isStatus(err: unknown, ...statuses: number[]): boolean {
  return err instanceof OpenStackError && statuses.includes(err.status);
}

/**
 * Wraps an error of an OpenStack call. `action` says what the driver was
 * doing ("create the server"), `flag` the flag whose value the call used.
 */
export function translateError(err: unknown, action: string, flag?: string): Error {
  if (err instanceof DriverError) return err;
  if (err instanceof OpenStackError) {
    const detail = `${err.request}: HTTP ${err.status} ${err.type}: ${err.message}`;
    const fail = (code: ErrorCode, summary: string, onFlag = flag) => new DriverError(code, summary, { flag: onFlag, detail, cause: err });
    // Neutron says 409 IpAddressGenerationFailure; nova-network 404 "No more floating IPs in pool X." (NoMoreFloatingIps).
    if (/IpAddressGenerationFailure|No more IP addresses|No more floating IPs|NoMoreFloatingIps/i.test(`${err.type} ${err.message}`)) {
      return fail('resource-exhausted', `the floating IP pool has no free address left: ${err.message.replace(/\.$/, '')}; release floating IPs or choose another --openstack-floatingip-pool`, 'openstack-floatingip-pool');
    }
    switch (err.status) {
      case 400:
        return fail('invalid-argument', `OpenStack rejected the request to ${action}: ${err.message}${flag ? ` (check --${flag})` : ''}`);
      case 401:
        return fail('unauthenticated', `OpenStack refused the token while trying to ${action}, even after authenticating again: check the credentials`, 'openstack-password');
      case 403:
        return fail('permission-denied', `the OpenStack user is not allowed to ${action}: ${err.message}`);
      case 404:
        return fail('not-found', `could not ${action}: ${err.message}${flag ? ` (check --${flag})` : ''}`);
      case 409:
        return fail('failed-precondition', `could not ${action}: ${err.message}`);
      case 413:
        return fail('resource-exhausted', `the project's quota does not allow to ${action}: ${err.message}`);
    }
    if (err.status >= 500) return fail('unavailable', `OpenStack failed to ${action} (HTTP ${err.status}): ${err.message}; try again later`);
    return fail('internal', `failed to ${action}: HTTP ${err.status} ${err.message}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DriverError('internal', `failed to ${action}: ${message}`, { cause: err });
}
