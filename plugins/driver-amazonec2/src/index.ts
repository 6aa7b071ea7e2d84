export { AmazonEC2Driver, machineState, CREATED_BY_TAG } from './driver';
export { FLAGS, stateFromFlags, availabilityZone, type EC2State } from './flags';
export { architectureOf, pickLatestLts, CANONICAL_OWNER } from './ami';
export { generateSSHKeyPair, toOpenSSHPublicKey } from './sshkey';
