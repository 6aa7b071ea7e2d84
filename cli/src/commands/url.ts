import { commandFromSpec } from '../base-command';
import { spec } from '../fast/commands/url';

export default commandFromSpec(spec);
