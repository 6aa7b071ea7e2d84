export { Store } from './store';
export { defaultStoragePath } from './paths';
export { newHostConfig, normalizeHost, serializeHost, defaultAuthOptions, defaultEngineOptions, defaultSwarmOptions, DEFAULT_INSTALL_URL } from './host';
export type { NewHostOptions } from './host';
export { writeFileAtomicSync, mkdirPrivate } from './atomic';
export type { Release, LockOptions } from './lock';
export * from './types';
