export * from './discover';
export * from './registry';
