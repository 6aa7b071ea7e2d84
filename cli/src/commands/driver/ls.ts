import { commandFromSpec } from '../../base-command';
import { spec } from '../../fast/commands/driver-ls';

export default commandFromSpec(spec);
