// The renderer is the SDK's, shared with the drivers' own commands.
export { downloadPercent, isDriverLine, Progress, type ProgressOptions } from '@machine/driver-sdk/progress';
