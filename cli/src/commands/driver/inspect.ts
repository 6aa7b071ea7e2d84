import { commandFromSpec } from '../../base-command';
import { spec } from '../../fast/commands/driver-inspect';

export default commandFromSpec(spec);
