import { actionCommand } from '../lifecycle/action-command';

export default actionCommand('kill', {
  summary: 'Kill (abruptly force stop) a machine',
  description: 'Forcefully stops the named machines (default: "default").',
});
