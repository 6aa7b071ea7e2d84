import { actionCommand } from '../lifecycle/action-command';

export default actionCommand('stop', {
  summary: 'Stop a machine',
  description: 'Stops the named machines (default: "default").',
});
