// The driver executable's entry point.
import { serveDriver } from '@machine/driver-sdk';
import { DockerDriver } from './driver';

serveDriver(new DockerDriver());
