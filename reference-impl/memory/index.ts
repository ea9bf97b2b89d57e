/**
 * Guest memory and its test allocator.
 *
 * @module
 */

export * from './guest-memory.js';
