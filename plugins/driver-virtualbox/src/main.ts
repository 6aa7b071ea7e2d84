// The driver executable (bin/machine-driver-virtualbox).
import { serveDriver } from '@machine/driver-sdk';
import { VirtualBoxDriver } from './driver';

void serveDriver(new VirtualBoxDriver());
