import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/version';

export default commandFromSpec(spec);
