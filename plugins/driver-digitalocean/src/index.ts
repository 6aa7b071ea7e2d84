export { DigitalOceanDriver, machineState, fingerprintOf, addressOf, normalizeState, type Droplet, type Action } from './driver';
export { FLAGS, stateFromFlags, parseTags, parseApiURL, DEFAULT_IMAGE, DEFAULT_SIZE, DEFAULT_REGION, DEFAULT_API_URL, type DOState } from './flags';
export { DigitalOceanApi, DoApiError, DoNetworkError, timing } from './api';
export { resolveToken, tokenFor, doctlConfigPath } from './credentials';
