/**
 * fast-check arbitraries for the MTU area: mtu values a device may show (valid, below the
 * recommended 1280, below the IPv4 minimum of 68) and frame lengths around `mtu + 14`, the largest
 * non-GSO frame either side may send (`net.cfg.device.5`, `net.cfg.device.6`, `net.cfg.driver.9`).
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_NET_MTU_MAX, VIRTIO_NET_MTU_MIN, virtio_net_config } from '../../../specs/net/config.js';
import { VIRTIO_NET_ETH_HLEN } from '../../../specs/net/hdr.js';

/** Where `mtu` sits in `virtio_net_config`. */
export const MTU_FIELD = virtio_net_config.fields.mtu;

/** The largest non-GSO frame for `mtu`: the MTU plus the Ethernet header. */
export function maxFrame(mtu: number): number {
  return mtu + VIRTIO_NET_ETH_HLEN;
}

/** mtu values a device may show with VIRTIO_NET_F_MTU (`net.cfg.device.2`), the usual ones weighted up. */
export function validMtu(max = VIRTIO_NET_MTU_MAX): fc.Arbitrary<number> {
  const common = [VIRTIO_NET_MTU_MIN, 576, 1280, 1500, 9000, VIRTIO_NET_MTU_MAX].filter((m) => m <= max);
  return fc.oneof(fc.constantFrom(...common), fc.integer({ min: VIRTIO_NET_MTU_MIN, max }));
}

/** mtu values below 68, which no IPv4 stack can use (what a driver must not accept F_MTU with). */
export function invalidMtu(): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(0, 67), fc.integer({ min: 0, max: VIRTIO_NET_MTU_MIN - 1 }));
}

/** Frame lengths a sender may use under `mtu`: the boundary itself weighted up, and anything from 60 bytes up to it. */
export function frameLengthUpTo(mtu: number): fc.Arbitrary<number> {
  const top = maxFrame(mtu);
  return fc.oneof(fc.constant(top), fc.integer({ min: Math.min(60, top), max: top }));
}

/** How far past `mtu + 14` an oversize frame goes. */
export function oversizeBy(): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 1024 }));
}
