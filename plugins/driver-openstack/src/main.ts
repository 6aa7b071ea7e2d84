// The driver executable (bin/machine-driver-openstack).
import { serveDriver } from '@machine/driver-sdk';
import { OpenStackDriver } from './driver';

// A hangup reaches the whole process group, and by default ends a Node
// process at once. Outliving it lets the SDK notice that the host is gone,
// cancel an interrupted create and wait for its rollback, so that the cloud
// keeps nothing the create made.
process.on('SIGHUP', () => undefined);

void serveDriver(new OpenStackDriver());
