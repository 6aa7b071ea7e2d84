import { actionCommand } from '../lifecycle/action-command';

export default actionCommand('upgrade', {
  summary: 'Upgrade a machine to the latest version of Docker',
  description: 'Upgrades the Docker engine of the named machines with their package manager, then restarts it.',
});
