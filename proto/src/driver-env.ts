// The environment a driver process starts with.
//
// `eval $(machine env NAME)` leaves DOCKER_HOST, DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH in the user's shell, pointing at some machine. A driver
// that talks to Docker itself (through a Docker client library that reads
// them) would then silently act on that machine instead of the engine its
// flags name, so no DOCKER_* variable reaches a driver. Drivers take their
// configuration from their flags, whose environment variables the host reads.

const DOCKER_VARIABLE = /^DOCKER_/i;

export function driverEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (!DOCKER_VARIABLE.test(key)) env[key] = value;
  }
  return env;
}
