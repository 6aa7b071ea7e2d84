// Every wait of the core in one place: for SSH to answer, for a machine to
// reach a power state, for a Docker daemon to answer over TLS. Each polls
// until its deadline, pauses with node:timers/promises, and stops on abort.
export { waitForDaemon } from './daemon';
export { waitForSsh, SshNotSpokenError, SshWaitTimeoutError, type WaitForSshOptions } from './ssh';
export { waitForState } from './state';
