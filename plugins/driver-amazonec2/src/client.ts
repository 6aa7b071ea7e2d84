// The EC2 client for a machine: region, endpoint, credentials and retries
// from the driver state. The SDK is loaded here, lazily, so that the driver's
// metadata and schema calls stay cheap.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { DriverLogger } from '@machine/driver-sdk';
import { endpointURL, type EC2State } from './flags';

export type EC2Module = typeof import('./aws');

let ec2Module: EC2Module | undefined;
export function ec2(): EC2Module {
  // The SDK's notice about its own future Node support is not something a
  // machine user can act on; it would print on every driver start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ec2Module ??= require('./aws') as EC2Module;
  return ec2Module;
}

export function credentialsFor(state: EC2State): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  // An explicit profile wins over keys that reached the flags from the environment.
  if (state.AccessKey && state.SecretKey && !state.Profile) {
    return { accessKeyId: state.AccessKey, secretAccessKey: state.SecretKey, sessionToken: state.SessionToken };
  }
  const { fromNodeProviderChain } = ec2();
  return fromNodeProviderChain(state.Profile ? { profile: state.Profile } : {});
}

const clients = new Map<string, EC2Client>();

/** Where EC2 requests are logged (at debug level): the logger of the driver call being served. */
let requestLog: DriverLogger | undefined;
export function logRequestsTo(log: DriverLogger): void {
  requestLog = log;
}

/**
 * One client per account, region and endpoint for the life of the driver
 * process: `ls` over many machines then resolves credentials once and
 * reuses connections.
 */
export function clientFor(state: EC2State): EC2Client {
  const key = JSON.stringify([state.Region, state.Endpoint, state.DisableSSL, state.AccessKey, state.SecretKey, state.SessionToken, state.Profile, state.RetryCount]);
  let client = clients.get(key);
  if (!client) {
    client = createClient(state);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const started = Date.now();
        try {
          const out = await next(args);
          requestLog?.debug('EC2 request', { action: context.commandName, ms: Date.now() - started });
          return out;
        } catch (err) {
          requestLog?.debug('EC2 request failed', { action: context.commandName, ms: Date.now() - started, error: (err as Error).name, message: (err as Error).message });
          throw err;
        }
      },
      { step: 'initialize', name: 'machineRequestLog' },
    );
    clients.set(key, client);
  }
  return client;
}

export function createClient(state: EC2State): EC2Client {
  const { EC2Client } = ec2();
  return new EC2Client({
    region: state.Region,
    endpoint: state.Endpoint ? endpointURL(state.Endpoint, state.DisableSSL) : undefined,
    credentials: credentialsFor(state),
    // Throttling and 5xx are retried by the SDK's standard strategy, with backoff.
    maxAttempts: Math.max(1, state.RetryCount + 1),
    retryMode: 'standard',
  });
}

/** Waiter delays in seconds. MACHINE_AMAZONEC2_POLL_SECONDS shortens them for local endpoints. */
export function waiterTiming(maxWaitTime: number): { maxWaitTime: number; minDelay: number; maxDelay: number } {
  const poll = Number(process.env.MACHINE_AMAZONEC2_POLL_SECONDS);
  if (Number.isFinite(poll) && poll > 0) return { maxWaitTime, minDelay: poll, maxDelay: Math.max(poll, poll * 4) };
  return { maxWaitTime, minDelay: 2, maxDelay: 10 };
}
