/**
 * The reference virtio-net front end: Linux 6.1 `virtio_net` in
 * TypeScript, over the front-end virtio core and transport drivers. Test
 * support (`test-fixture.ts`, `e2e-fixture.ts`) is not re-exported.
 *
 * @module
 */

export * from './constants.js';
export * from './features.js';
export * from './probe-decisions.js';
export * from './skb.js';
export * from './stats.js';
export * from './napi.js';
export * from './virtnet-info.js';
export * from './control-queue.js';
export * from './ctrl-commands.js';
export * from './rx-buffers.js';
export * from './rx-hdr.js';
export * from './rx.js';
export * from './tx.js';
export * from './xdp.js';
export * from './poll.js';
export * from './net-device-ops.js';
export * from './ethtool-ops.js';
export * from './virtio-driver.js';
export * from './netdev-core.js';
export * from './virtio-net-frontend.js';
