/**
 * The receive filter and MAC address helpers.
 *
 * @module
 */

export * from './rx-filter.js';
export * from './mac-address.js';
