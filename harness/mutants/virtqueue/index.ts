/**
 * Broken variants of the ring engine (split and packed, driver and device
 * side), each imitating a real ring bug, and their catalog.
 *
 * @module
 */

export * from './device-queue-wrapper.js';
export * from './split-ring-mutants.js';
export * from './packed-ring-mutants.js';
export * from './ring-mutant-catalog.js';
