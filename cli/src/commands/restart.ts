import { actionCommand } from '../lifecycle/action-command';

export default actionCommand('restart', {
  summary: 'Restart a machine',
  description: 'Restarts the named machines (default: "default"); a stopped machine is started. A machine whose address changed gets new certificates.',
});
