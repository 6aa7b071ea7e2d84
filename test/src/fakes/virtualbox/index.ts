export { startFakeVirtualBox, FakeVirtualBox, notReady, IP_PROPERTY, type FakeVM, type FakeVirtualBoxOptions } from './server';
export { readIso, cloudInitLogin } from './iso';
