import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/config';

export default commandFromSpec(spec);
