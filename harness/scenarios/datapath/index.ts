/**
 * Data-path scenarios: a hand-driven device session (rig, buffers of any shape, traffic), the
 * driver-side rig on the instrument, frames, the header value rules, and running a property as a
 * check body.
 *
 * @module
 */

export * from './net-rig.js';
export * from './net-session.js';
export * from './traffic.js';
export * from './driver-rig.js';
export * from './frames.js';
export * from './header-rules.js';
export * from './property.js';
