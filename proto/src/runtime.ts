// Entry point of the gRPC runtime bundle (dist/runtime.js, made by `npm run
// bundle -w proto`). Hosts load gRPC through it: one file compiled from a V8
// code cache instead of ~100 small modules resolved and compiled one by one,
// which is most of what a driver-using command like `ls` spends before its
// first call. Drivers bundle their own copy and never load this.
import * as grpc from '@grpc/grpc-js';
import codecs from './gen/codecs';

export { grpc, codecs };
