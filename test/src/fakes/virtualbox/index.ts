export { startFakeVirtualBox, FakeVirtualBox, notReady, IP_PROPERTY, NO_HOSTONLY_ADAPTERS, type FakeVM, type FakeHostOnlyNet, type FakeVirtualBoxOptions } from './server';
export { readIso, cloudInitLogin } from './iso';
