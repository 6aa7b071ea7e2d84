// AWS errors → one clear line for the user, naming the flag to fix.
import { DriverError, type ErrorCode } from '@machine/driver-sdk';
import type { EC2State } from './flags';

interface AwsErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as AwsErrorShape;
  // Service errors carry an HTTP status; network errors (ECONNREFUSED) only a node error code.
  return e.Code ?? (e.$fault && e.$metadata?.httpStatusCode ? e.name : undefined);
}

export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

const named = (what: string, id: string | undefined) => (id ? `${what} ${id}` : what);

function credentialFlag(state: EC2State): string {
  return state.Profile ? 'amazonec2-profile' : 'amazonec2-access-key';
}

/**
 * Wraps an error from an EC2 call. `action` says what the driver was doing
 * ("create the security group docker-machine"), for the message.
 */
export function translateError(err: unknown, state: EC2State, action: string): Error {
  if (err instanceof DriverError) return err;
  const code = awsErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const detail = `${code ? `${code}: ` : ''}${message}`;
  const fail = (kind: ErrorCode, summary: string, flag?: string) => new DriverError(kind, summary, { flag, detail, cause: err });
  const name = err instanceof Error ? err.name : '';

  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return fail(
      'unauthenticated',
      state.Profile
        ? `no AWS credentials found for profile "${state.Profile}": check --amazonec2-profile and the files ~/.aws/credentials and ~/.aws/config`
        : 'amazonec2 driver requires AWS credentials: set --amazonec2-access-key and --amazonec2-secret-key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (--amazonec2-profile), or an instance role',
      credentialFlag(state),
    );
  }
  if (name === 'AbortError') return new DriverError('cancelled', `cancelled while trying to ${action}`, { cause: err });
  if (name === 'TimeoutError' && !code) return fail('deadline-exceeded', `timed out while waiting to ${action}`);

  switch (code) {
    case 'SignatureDoesNotMatch':
      return fail('unauthenticated', 'AWS rejected the request signature: the secret key does not match the access key; check --amazonec2-secret-key (or AWS_SECRET_ACCESS_KEY / the profile)', state.Profile ? 'amazonec2-profile' : 'amazonec2-secret-key');
    case 'AuthFailure':
    case 'InvalidClientTokenId':
    case 'UnrecognizedClientException':
      return fail('unauthenticated', `AWS did not accept the access key: check --amazonec2-access-key (or AWS_ACCESS_KEY_ID / the profile)`, credentialFlag(state));
    case 'ExpiredToken':
    case 'RequestExpired':
      return fail('unauthenticated', 'the AWS session token has expired: renew it and set --amazonec2-session-token (or AWS_SESSION_TOKEN / the profile)', state.Profile ? 'amazonec2-profile' : 'amazonec2-session-token');
    case 'UnauthorizedOperation':
      return fail('permission-denied', `the AWS credentials are not allowed to ${action}: grant the IAM permission or use other credentials (--${credentialFlag(state)})`, credentialFlag(state));
    case 'OptInRequired':
      return fail('permission-denied', `the AWS account is not subscribed to EC2 in ${state.Region}: opt in, or choose another --amazonec2-region`, 'amazonec2-region');
    case 'InvalidAMIID.NotFound':
    case 'InvalidAMIID.Malformed':
    case 'InvalidAMIID.Unavailable':
      return fail('invalid-argument', `${named('the AMI', state.AMI)} does not exist in ${state.Region}: check --amazonec2-ami`, 'amazonec2-ami');
    case 'InvalidVpcID.NotFound':
      return fail('invalid-argument', `${named('the VPC', state.VpcId)} does not exist in ${state.Region}: check --amazonec2-vpc-id`, 'amazonec2-vpc-id');
    case 'InvalidSubnetID.NotFound':
    case 'InvalidSubnet':
      return fail('invalid-argument', `${named('the subnet', state.SubnetId)} does not exist in ${state.Region}: check --amazonec2-subnet-id`, 'amazonec2-subnet-id');
    case 'InvalidKeyPair.NotFound':
      return fail('invalid-argument', `${named('the key pair', state.KeyName)} does not exist in ${state.Region}: check --amazonec2-keypair-name`, 'amazonec2-keypair-name');
    case 'InvalidKeyPair.Duplicate':
      return fail('already-exists', `there is already ${named('a key pair named', state.KeyName)}: remove it or use a different machine name`);
    case 'InvalidKeyPair.Format':
      return fail('invalid-argument', `AWS rejected the public key: check the key at --amazonec2-ssh-keypath (RSA or ED25519, OpenSSH format)`, 'amazonec2-ssh-keypath');
    case 'InvalidParameterValue':
      if (/instance type|instanceType/i.test(message)) return fail('invalid-argument', `invalid instance type ${state.InstanceType}: check --amazonec2-instance-type`, 'amazonec2-instance-type');
      if (/iamInstanceProfile|instance profile/i.test(message)) return fail('invalid-argument', `invalid IAM instance profile: check --amazonec2-iam-instance-profile`, 'amazonec2-iam-instance-profile');
      return fail('invalid-argument', `AWS rejected a parameter while trying to ${action}: ${message}`);
    case 'Unsupported':
    case 'InvalidInstanceType':
      return fail('invalid-argument', `the instance type ${state.InstanceType} cannot be launched here: check --amazonec2-instance-type and --amazonec2-zone (${message})`, 'amazonec2-instance-type');
    case 'InsufficientInstanceCapacity':
    case 'InsufficientCapacity':
      return fail('resource-exhausted', `AWS has no capacity for ${state.InstanceType} in the zone right now: try another --amazonec2-zone or --amazonec2-instance-type, or try later`, 'amazonec2-zone');
    case 'InstanceLimitExceeded':
    case 'VcpuLimitExceeded':
    case 'MaxSpotInstanceCountExceeded':
      return fail('resource-exhausted', `the account's instance limit in ${state.Region} is reached: remove instances or raise the quota`);
    case 'SpotMaxPriceTooLow':
      return fail('invalid-argument', `the spot price ${state.SpotPrice} is below the current price: raise --amazonec2-spot-price`, 'amazonec2-spot-price');
    case 'RequestLimitExceeded':
    case 'Throttling':
      return fail('unavailable', `AWS kept throttling requests while trying to ${action}: try again later, or raise --amazonec2-retries`, 'amazonec2-retries');
  }
  if (!code && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up/.test(`${message} ${(err as { code?: string }).code ?? ''}`)) {
    return fail('unavailable', `cannot reach the EC2 endpoint${state.Endpoint ? ` ${state.Endpoint}: check --amazonec2-endpoint` : ` for ${state.Region}: check the network and --amazonec2-region`}`, state.Endpoint ? 'amazonec2-endpoint' : 'amazonec2-region');
  }
  const status = (err as AwsErrorShape).$metadata?.httpStatusCode;
  const kind: ErrorCode = status !== undefined && status >= 500 ? 'unavailable' : 'internal';
  return fail(kind, `failed to ${action}: ${code ? `${code}: ` : ''}${message}`);
}
