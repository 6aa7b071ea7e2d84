export { startFakeEc2, ec2Fault, Ec2Error, API_VERSION, type FakeEc2, type FakeEc2Options } from './server';
export { defaultImages, CANONICAL, LATEST_LTS_AMD64, LATEST_LTS_ARM64 } from './images';
export type { Timings, Instance, FakeImage } from './model';
