/**
 * The negotiation and mtu tests' name for the shared test support in `../area-runs.ts`.
 *
 * @module
 */

export * from '../area-runs.js';
