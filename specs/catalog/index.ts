export * from './schema.js';
export * from './scope.js';
export * from './load.js';
