// Provisioning: turning a reachable SSH host into a Docker host that
// answers on TLS with the machine's certificates.
export { provisionHost, ProvisionError } from './provision';
export { waitForDaemon } from '../wait';
export type { ProvisionRequest, ProvisionResult, ServerCertificates } from './provision';
export { parseOsRelease, compareVersions } from './os-release';
export type { OsRelease } from './os-release';
export { selectProvisioner, describeProvisioner, PROVISIONERS } from './provisioners';
export type { Provisioner, InitSystem } from './provisioners';
export { daemonArgs, decideStorageDriver, systemdDropIn, sysvinitDefaults, engineOptFlag, DaemonConfigConflictError } from './daemon';
export type { EngineSettings } from './daemon';
export { installMethod, installScript, INSTALL_DISTRO, INSTALL_NONE } from './install';
export { detectionScript, parseDetection } from './detect';
export type { HostFacts } from './detect';
