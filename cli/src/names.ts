// Machine-name rules. Docker Machine accepts exactly these names, and a name
// ends up in hostnames, cloud resource names and directory names, so the rule
// is kept identical: a leading letter or digit, then letters, digits, '.' and '-'.

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9\-.]*$/;

/** Why `name` is not a valid machine name, or undefined when it is valid. */
export function machineNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (!/^[a-zA-Z0-9]/.test(name)) return `it must start with a letter or a digit, not "${name[0]}"`;
  if (!NAME_RE.test(name)) {
    const bad = [...name].find((c) => !/[a-zA-Z0-9\-.]/.test(c)) ?? '';
    return `it contains "${bad}"; allowed characters are 0-9 a-z A-Z . -`;
  }
  return undefined;
}

/** A machine's name becomes its hostname, which Linux limits to 63 bytes. */
export const MAX_NEW_MACHINE_NAME = 63;

/**
 * machineNameProblem plus the hostname length limit, for names of machines
 * about to be made. Existing machines (imported ones included) keep
 * whatever name they have, so that they can still be listed and removed.
 */
export function newMachineNameProblem(name: string): string | undefined {
  const problem = machineNameProblem(name);
  if (problem) return problem;
  if (Buffer.byteLength(name) > MAX_NEW_MACHINE_NAME) return `it is ${Buffer.byteLength(name)} characters long; a hostname has at most ${MAX_NEW_MACHINE_NAME}`;
  return undefined;
}

export function isValidMachineName(name: string): boolean {
  return NAME_RE.test(name);
}

// A driver name is looked up as machine-driver-NAME in the discovery
// directories. It comes from the command line and from stored config.json
// files, which may be crafted or imported, so it is a plain word and never
// a path: nothing outside discovery's search may ever be executed.
const DRIVER_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

/** Why `name` cannot be a driver name, or undefined when it can. */
export function driverNameProblem(name: string): string | undefined {
  if (DRIVER_NAME_RE.test(name)) return undefined;
  if (name.includes('/') || name.includes('\\')) return 'a driver name is a plain name such as "generic", never a path';
  return 'a driver name starts with a letter or a digit, then has up to 63 letters, digits, ".", "_" or "-"';
}
