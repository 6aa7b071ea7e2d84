export * from './discover';
export * from './registry';
export * from './describe-cache';
