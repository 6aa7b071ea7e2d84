import { actionCommand } from '../lifecycle/action-command';

export default actionCommand('start', {
  summary: 'Start a machine',
  description: 'Starts the named machines (default: "default"). When a machine comes back with an address its certificate does not cover, its certificates are regenerated.',
});
