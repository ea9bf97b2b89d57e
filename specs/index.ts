/**
 * The virtio spec as data: typed constants, layouts and rules that the
 * reference implementation and the harness import. Nothing here imports from
 * outside `specs/`.
 *
 * @module
 */

// Shared building blocks.
export * from './layout.js';
export * from './version.js';

// Device status and feature bits.
export * from './status.js';
export * from './features/reserved.js';
export * from './features/net.js';
export * from './features/feature-set.js';
export * from './features/requirement.js';
export * from './features/dependencies.js';

// Network device.
export * from './net/config.js';
export * from './net/hdr.js';
export * from './net/hash.js';
export * from './net/queues.js';
export * from './net/ctrl.js';

// Transports.
export * from './transport/pci.js';
export * from './transport/mmio.js';

// Virtqueues (split, packed, notifications): written separately.
// export * from './virtqueue/index.js';

// Clause catalog.
export * from './catalog/index.js';
