// The generic driver's executable (bin/machine-driver-generic).
import { serveDriver } from '@machine/driver-sdk';
import { GenericDriver } from './driver';

void serveDriver(new GenericDriver());
