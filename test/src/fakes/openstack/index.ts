export { startFakeOpenStack, openstackFault, defaultFlavors, defaultImages, type FakeOpenStack, type FakeOpenStackOptions, type Timings, type Server } from './server';
export { keystone, registerRegion, ADMIN, DEMO, type Keystone } from './keystone';
