// The driver executable (bin/machine-driver-digitalocean).
import { serveDriver } from '@machine/driver-sdk';
import { DigitalOceanDriver } from './driver';

void serveDriver(new DigitalOceanDriver());
