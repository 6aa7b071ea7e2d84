export { startFakeDigitalOcean, fingerprintOf, TOKEN, DEFAULT_TIMINGS, type FakeDigitalOcean, type FakeDigitalOceanOptions, type FakeDroplet, type FakeKey, type FakeAction, type DoTimings } from './server';
export { defaultImages, defaultRegions, defaultSizes, type FakeImage, type FakeRegion, type FakeSize } from './catalogue';
