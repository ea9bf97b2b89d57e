/**
 * The reference virtio-net device: configuration, config space, transmit,
 * receive and control-queue paths, the in-process wire, counters and
 * events, and the assembled device behind a PCI or MMIO transport. The
 * control-plane state, RX filter and RSS live in `ctrl/`, `filter/` and
 * `rss/`, re-exported here.
 *
 * @module
 */

export * from './device-config.js';
export * from './config-space.js';
export * from './negotiation.js';
export * from './net-header.js';
export * from './checksum.js';
export * from './counters.js';
export * from './net-events.js';
export * from './wire.js';
export * from './path-env.js';
export * from './control-port.js';
export * from './tx.js';
export * from './rx.js';
export * from './ctrl-queue.js';
export * from './net-device.js';
export * from './reference-net-device.js';
export * from './ctrl/index.js';
export * from './filter/index.js';
export * from './rss/index.js';
