// SSH for provisioning and the ssh/scp/mount commands. Importing this file
// does not load ssh2; opening a connection does.
export { SshConnection, SshCommandError, SshKeyFileError, SshNoHandshakeError } from './client';
export type { SshTarget, HostKeyCheck, ConnectOptions, ExecOptions, ExecResult, UploadFile } from './client';
export { HostKeyMismatchError, fingerprint, hostKeyLine, knownHostsLine, sameHostKey } from './hostkey';
export { externalSshOptions, sshArgs, rsyncShell, shellQuote, writeKnownHosts } from './external';
export type { KnownHost } from './external';
