/**
 * The net device's control plane: control-queue command semantics and the
 * state they program.
 *
 * @module
 */

export * from './state.js';
export * from './decode.js';
export * from './coalescing.js';
export * from './mac-table.js';
export * from './parse-result.js';
