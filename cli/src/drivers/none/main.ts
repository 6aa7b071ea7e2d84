// The none driver's executable (bin/machine-driver-none).
import { serveDriver } from '@machine/driver-sdk';
import { NoneDriver } from './driver';

void serveDriver(new NoneDriver());
