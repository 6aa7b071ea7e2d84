export * from './natural-sort';
export * from './tabwriter';
export * from './template';
export * from './quote';
export * from './address';
