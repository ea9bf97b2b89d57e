/**
 * The GUEST_OFFLOADS_SET bitmask (virtio 1.4 5.1.9.5.6; `net.ctrl.offloads.any.1`).
 *
 * Mask positions equal the feature bit numbers, except for the two UDP
 * tunnel receive offloads: feature bits 65 and 66 do not fit a le64, so the
 * spec maps them to mask bits 46 and 47 under the same macro names
 * (`VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO 46`). summary.md defect 6: a commit
 * that clarified this was reverted at the 1.4 tag. Decision: mask bits 46 /
 * 47, distinct constant names here so they cannot be confused with the
 * feature bits.
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../features/feature-set.js';
import {
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_ECN,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_TSO6,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
  VIRTIO_NET_F_GUEST_UFO,
  VIRTIO_NET_F_GUEST_USO4,
  VIRTIO_NET_F_GUEST_USO6,
} from '../features/net.js';

/** Offloads mask bit for GUEST_CSUM. */
export const VIRTIO_NET_OFFLOAD_GUEST_CSUM = 1;
/** Offloads mask bit for GUEST_TSO4. */
export const VIRTIO_NET_OFFLOAD_GUEST_TSO4 = 7;
/** Offloads mask bit for GUEST_TSO6. */
export const VIRTIO_NET_OFFLOAD_GUEST_TSO6 = 8;
/** Offloads mask bit for GUEST_ECN. */
export const VIRTIO_NET_OFFLOAD_GUEST_ECN = 9;
/** Offloads mask bit for GUEST_UFO. */
export const VIRTIO_NET_OFFLOAD_GUEST_UFO = 10;
/** Offloads mask bit for GUEST_UDP_TUNNEL_GSO (feature bit 65). */
export const VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO = 46;
/** Offloads mask bit for GUEST_UDP_TUNNEL_GSO_CSUM (feature bit 66). */
export const VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO_CSUM = 47;
/** Offloads mask bit for GUEST_USO4. */
export const VIRTIO_NET_OFFLOAD_GUEST_USO4 = 54;
/** Offloads mask bit for GUEST_USO6. */
export const VIRTIO_NET_OFFLOAD_GUEST_USO6 = 55;

/** One receive offload: its feature bit and its position in the offloads mask. */
export interface OffloadInfo {
  /** Feature bit (`VIRTIO_NET_F_GUEST_*`). */
  readonly feature: number;
  /** Bit in the le64 GUEST_OFFLOADS_SET mask. */
  readonly maskBit: number;
}

/** Every receive offload GUEST_OFFLOADS_SET can toggle, by mask bit. */
export const OFFLOADS: readonly OffloadInfo[] = Object.freeze(
  (
    [
      [VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_OFFLOAD_GUEST_CSUM],
      [VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_OFFLOAD_GUEST_TSO4],
      [VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_OFFLOAD_GUEST_TSO6],
      [VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_OFFLOAD_GUEST_ECN],
      [VIRTIO_NET_F_GUEST_UFO, VIRTIO_NET_OFFLOAD_GUEST_UFO],
      [VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO, VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO],
      [VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM, VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO_CSUM],
      [VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_OFFLOAD_GUEST_USO4],
      [VIRTIO_NET_F_GUEST_USO6, VIRTIO_NET_OFFLOAD_GUEST_USO6],
    ] as const
  ).map(([feature, maskBit]) => Object.freeze({ feature, maskBit })),
);

/** The mask bit for a receive-offload feature bit, or `null` if the feature is not an offload. */
export function offloadMaskBit(featureBit: number): number | null {
  return OFFLOADS.find((o) => o.feature === featureBit)?.maskBit ?? null;
}

/** The feature bit behind a mask bit, or `null` for a mask bit no offload uses. */
export function offloadFeature(maskBit: number): number | null {
  return OFFLOADS.find((o) => o.maskBit === maskBit)?.feature ?? null;
}

/**
 * The offloads mask with every negotiated offload enabled: the device's state
 * after negotiation (`net.ctrl.offloads.any.1`) and the largest mask a driver
 * may send (`net.ctrl.offloads.driver.1`).
 */
export function offloadsMask(features: FeatureSet): bigint {
  let mask = 0n;
  for (const o of OFFLOADS) if (hasFeature(features, o.feature)) mask |= 1n << BigInt(o.maskBit);
  return mask;
}
