import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/active';

export default commandFromSpec(spec);
