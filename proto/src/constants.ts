// Names and values of the handshake between the host and a driver process.
// They follow hashicorp/go-plugin so that a Go driver built on go-plugin
// (with this cookie in its HandshakeConfig) works unchanged.

/** go-plugin's magic cookie: a guard against running a driver by hand, not a secret. */
export const MAGIC_COOKIE_KEY = 'MACHINE_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'c1a4e8d2f07b4b6e9a35d6f1e2b80c47';

/** go-plugin's core protocol version: the first field of the handshake line. */
export const CORE_PROTOCOL_VERSION = 1;
/** Major versions of machine.driver.vN this SDK speaks. */
export const PROTOCOL_VERSIONS: readonly number[] = [1];

export const ENV_PROTOCOL_VERSIONS = 'PLUGIN_PROTOCOL_VERSIONS';
export const ENV_MIN_PORT = 'PLUGIN_MIN_PORT';
export const ENV_MAX_PORT = 'PLUGIN_MAX_PORT';
export const ENV_CLIENT_CERT = 'PLUGIN_CLIENT_CERT';
export const ENV_UNIX_SOCKET_DIR = 'PLUGIN_UNIX_SOCKET_DIR';
/** "tcp" makes both sides use loopback TCP with AutoMTLS instead of a unix socket. */
export const ENV_TRANSPORT = 'MACHINE_PLUGIN_TRANSPORT';
/** Set to "stdin" by a host that keeps the driver's stdin open for as long as it lives. */
export const ENV_LIFELINE = 'MACHINE_PLUGIN_LIFELINE';
/** Handshake timeout in seconds for the host. */
export const ENV_START_TIMEOUT = 'MACHINE_PLUGIN_START_TIMEOUT';

/** gRPC health service names a driver reports SERVING for ("plugin" is go-plugin's). */
export const HEALTH_SERVICE_NAMES: readonly string[] = ['plugin', ''];

/** Trailing metadata key carrying a serialized machine.driver.v1.Diagnostics. */
export const DIAGNOSTICS_TRAILER = 'machine-diagnostics-bin';

export const SDK_NAME = '@machine/driver-sdk';

/** Global key under which a loaded host module registers closeAllDrivers. */
export const HOST_REGISTRY = Symbol.for('machine.driver-sdk.host');
