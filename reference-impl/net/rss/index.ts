/**
 * Toeplitz hashing, hash input selection, RSS configuration and receive
 * steering.
 *
 * @module
 */

export * from './toeplitz.js';
export * from './hash-input.js';
export * from './rss-config.js';
export * from './steering.js';
