export { VirtualBoxDriver, machineState, normalizeState, IP_PROPERTY } from './driver';
export { FLAGS, stateFromFlags, DEFAULT_IMAGE_URL, type VBoxState } from './flags';
export { buildSeedIso, seedFiles } from './seed-iso';
