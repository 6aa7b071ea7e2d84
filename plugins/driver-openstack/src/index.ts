export { OpenStackDriver, machineState, pickAddress, normalizeState, REQUEST_METADATA_KEY } from './driver';
export { FLAGS, stateFromFlags, validate, catalogInterface, parseMetadata, type OpenStackState } from './flags';
export { OpenStackClient, OpenStackError, endpointFrom, parseErrorBody, pickV3, resetSessions } from './client';
export { loadCloud, cloudsFiles, type CloudSettings } from './clouds';
