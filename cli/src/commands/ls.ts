import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/ls';

export default commandFromSpec(spec);
