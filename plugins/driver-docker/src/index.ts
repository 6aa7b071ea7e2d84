export { DockerDriver } from './driver';
export { connectEngine, parseDockerHost, DEFAULT_DOCKER_HOST } from './engine';
export { LABEL_MANAGED, LABEL_NAME, LABEL_STORE, LABEL_ROLE } from './labels';
export type { DockerState } from './config';
