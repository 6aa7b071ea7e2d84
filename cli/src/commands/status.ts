import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/status';

export default commandFromSpec(spec);
