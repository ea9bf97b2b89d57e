/**
 * The feature profiles the ctrl scenarios bring a device up with: what they ask the device to
 * offer, what the scripted driver accepts, and what must end up negotiated for a check to apply.
 *
 * @module
 */

import * as N from '../../../specs/features/net.js';
import type { CtrlSessionOptions } from './ctrl-session.js';

/** Every control-queue gate a device may offer, and the config fields they read. */
export const CONTROL_GATES: readonly number[] = Object.freeze([
  N.VIRTIO_NET_F_CTRL_VQ,
  N.VIRTIO_NET_F_CTRL_RX,
  N.VIRTIO_NET_F_CTRL_VLAN,
  N.VIRTIO_NET_F_CTRL_RX_EXTRA,
  N.VIRTIO_NET_F_GUEST_ANNOUNCE,
  N.VIRTIO_NET_F_MQ,
  N.VIRTIO_NET_F_CTRL_MAC_ADDR,
  N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
  N.VIRTIO_NET_F_NOTF_COAL,
  N.VIRTIO_NET_F_VQ_NOTF_COAL,
  N.VIRTIO_NET_F_RSS,
  N.VIRTIO_NET_F_HASH_REPORT,
  N.VIRTIO_NET_F_DEVICE_STATS,
  N.VIRTIO_NET_F_RSS_CONTEXT,
  N.VIRTIO_NET_F_MAC,
  N.VIRTIO_NET_F_STATUS,
  N.VIRTIO_NET_F_GUEST_CSUM,
]);

/**
 * Every command class the device offers, negotiated: the "each command is answered" checks send
 * commands of every class to it, gated and ungated alike.
 */
export const BROAD_PROFILE: CtrlSessionOptions = Object.freeze({
  offer: ['VIRTIO_NET_F_MQ', 'VIRTIO_NET_F_RSS', 'VIRTIO_NET_F_NOTF_COAL', 'VIRTIO_NET_F_VQ_NOTF_COAL', 'VIRTIO_NET_F_HASH_REPORT'],
  maxVirtqueuePairs: 2,
  accept: CONTROL_GATES,
  require: [N.VIRTIO_NET_F_CTRL_VQ],
  rxBuffers: 2,
});

/** Receive filtering: CTRL_RX with whatever of CTRL_RX_EXTRA, CTRL_VLAN, MAC and CTRL_MAC_ADDR is offered. */
export const FILTER_PROFILE: CtrlSessionOptions = Object.freeze({
  accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX, N.VIRTIO_NET_F_CTRL_RX_EXTRA, N.VIRTIO_NET_F_CTRL_VLAN, N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_CTRL_MAC_ADDR],
  require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX],
});
