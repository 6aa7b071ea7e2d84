// The driver executable (bin/machine-driver-amazonec2).
import { serveDriver } from '@machine/driver-sdk';
import { AmazonEC2Driver } from './driver';

void serveDriver(new AmazonEC2Driver());
