// Labels on everything the driver makes, so that a machine's resources can
// be found (and cleaned up) by machine and store, never by guessing names.
export const LABEL_MANAGED = 'io.machine.managed';
export const LABEL_NAME = 'io.machine.name';
export const LABEL_STORE = 'io.machine.store';
export const LABEL_ROLE = 'io.machine.role';

export type Role = 'machine' | 'docker-data' | 'network';

export function machineLabels(name: string, storePath: string, role: Role): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_NAME]: name, [LABEL_STORE]: storePath, [LABEL_ROLE]: role };
}

export function networkLabels(): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_ROLE]: 'network' };
}

/** Filters for the engine's list endpoints: `label=k=v` terms. */
export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}
