import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/inspect';

export default commandFromSpec(spec);
