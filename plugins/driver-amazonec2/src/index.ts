export { AmazonEC2Driver, machineState, CREATED_BY_TAG } from './driver';
export { FLAGS, stateFromFlags, availabilityZone, type EC2State } from './flags';
export { architectureOf, pickLatestLts, CANONICAL_OWNER } from './ami';
// Kept for callers that took the key helpers from this package; they live in the SDK.
export { generateSSHKeyPair, toOpenSSHPublicKey } from '@machine/driver-sdk';
