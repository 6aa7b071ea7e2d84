export * from './hosts';
export * from './images';
export { TestHostProvider } from './provider';
