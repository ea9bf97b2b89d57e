/**
 * The transport-agnostic virtio device core and the seam a device type
 * plugs into. The test-only `FakeBackend` is not re-exported; import it from
 * `./fake-backend.js`.
 *
 * @module
 */

export * from './backend.js';
export * from './device-queue.js';
export * from './events.js';
export * from './feature-acceptance.js';
export * from './feature-window.js';
export * from './queue-registers.js';
export * from './queue-register-file.js';
export * from './transport-binding.js';
export * from './virtio-device.js';
