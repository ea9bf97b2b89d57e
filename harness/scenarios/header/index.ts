/**
 * Header scenarios: the feature sets that shape `struct virtio_net_hdr`, descriptor cuts of a
 * header and frame, and a reader for the buffers a driver made available.
 *
 * @module
 */

export * from './header-features.js';
export * from './avail-buffers.js';
