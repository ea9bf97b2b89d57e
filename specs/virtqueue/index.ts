/**
 * Virtqueue layouts and notification rules (virtio 1.4 sections 2.7–2.9).
 *
 * @module
 */

export * from './split.js';
export * from './packed.js';
export * from './notification.js';
