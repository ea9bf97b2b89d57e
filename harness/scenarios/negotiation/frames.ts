/**
 * Ethernet frames and receive-header reads for scenarios that push traffic through a device:
 * broadcast frames (every receive filter lets them through, `net.ctrl.rx` defaults aside) of an
 * exact length with a recognisable payload.
 *
 * @module
 */

import { VIRTIO_NET_ETH_HLEN } from '../../../specs/net/hdr.js';

/** The source address scenarios put in their frames (locally administered, unicast). */
export const SCENARIO_SOURCE_MAC: readonly number[] = Object.freeze([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);

/**
 * A broadcast frame of exactly `length` bytes (at least the 14-byte Ethernet header), with an
 * experimental EtherType and a payload derived from `seed`.
 */
export function broadcastFrame(length: number, seed = 0): Uint8Array {
  if (length < VIRTIO_NET_ETH_HLEN) throw new RangeError(`a frame has at least ${VIRTIO_NET_ETH_HLEN} bytes`);
  const frame = new Uint8Array(length);
  frame.fill(0xff, 0, 6);
  frame.set(SCENARIO_SOURCE_MAC, 6);
  frame[12] = 0x88;
  frame[13] = 0xb5;
  for (let i = VIRTIO_NET_ETH_HLEN; i < length; i++) frame[i] = (i + seed) & 0xff;
  return frame;
}

/** `num_buffers` of a receive header (le16 at offset 10; present when the header has 12 bytes or more). */
export function numBuffersAt(bytes: Uint8Array): number {
  return (bytes[10] ?? 0) | ((bytes[11] ?? 0) << 8);
}
