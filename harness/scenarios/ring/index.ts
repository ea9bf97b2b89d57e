/**
 * Ring scenarios: the runner that drives both sides of a ring engine with
 * the ring observers watching, its integer step encoding and its
 * fast-check arbitraries (also used by the benchmark).
 *
 * @module
 */

export * from './ring-config.js';
export * from './ring-engine.js';
export * from './ring-steps.js';
export * from './ring-model.js';
export * from './ring-stats.js';
export * from './ring-scenario.js';
export * from './ring-arbitrary.js';
export * from './ring-property.js';
export * from './device-oracle.js';
export * from './ring-scenario-pool.js';
export * from './ring-watch.js';
