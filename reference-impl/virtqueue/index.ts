/**
 * The virtqueue engine shared by the reference device and the reference
 * front end: split and packed rings, driver side and device side.
 *
 * @module
 */

export * from './ring-error.js';
export * from './queue-config.js';
export * from './driver-result.js';
export * from './segment-stage.js';
export * from './device-chain.js';
export * from './split-driver-state.js';
export * from './split-driver.js';
export * from './split-device.js';
export * from './packed-driver-state.js';
export * from './packed-driver.js';
export * from './packed-device.js';
