// The driver executable (bin/machine-driver-openstack).
import { serveDriver } from '@machine/driver-sdk';
import { OpenStackDriver } from './driver';

void serveDriver(new OpenStackDriver());
