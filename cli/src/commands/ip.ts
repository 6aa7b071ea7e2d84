import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/ip';

export default commandFromSpec(spec);
