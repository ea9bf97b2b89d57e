/**
 * Live ring scenarios: whole devices and drivers with the ring observers
 * watching every queue, and the fast-check command models that drive them.
 *
 * @module
 */

export * from './queue-observers.js';
export * from './device-session.js';
export * from './open-device-session.js';
export * from './device-commands.js';
export * from './scripted-ring.js';
export * from './malformed-chains.js';
export * from './driver-session.js';
export * from './driver-commands.js';
export * from './unusual-chains.js';
