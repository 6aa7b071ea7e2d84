import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/env';

export default commandFromSpec(spec);
