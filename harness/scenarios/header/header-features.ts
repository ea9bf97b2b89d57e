/**
 * The feature bits that shape `struct virtio_net_hdr` (its length and which flag and GSO values
 * either side may use), as fast-check arbitraries, and the descriptor splits a header and frame
 * can be cut into. Checks draw a feature subset, intersect it with the device's offer, and take
 * the expected header length from `virtioNetHdrLength` (specs/net/hdr.ts), never from the device.
 *
 * @module
 */

import fc from 'fast-check';
import { withDependencies } from '../../../specs/features/dependencies.js';
import { featureMask, type FeatureSet } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';

/**
 * Net features that change the header length or what its fields may carry (facts.md §5): the
 * size rule's MRG_RXBUF / HASH_REPORT / tunnel GSO / OUT_NET_HEADER, the checksum pair and the GSO
 * family on both sides, and CTRL_VQ, which HASH_REPORT depends on.
 */
export const HEADER_FEATURES: readonly number[] = Object.freeze([
  N.VIRTIO_NET_F_MRG_RXBUF,
  N.VIRTIO_NET_F_HASH_REPORT,
  N.VIRTIO_NET_F_CTRL_VQ,
  N.VIRTIO_NET_F_OUT_NET_HEADER,
  N.VIRTIO_NET_F_CSUM,
  N.VIRTIO_NET_F_GUEST_CSUM,
  N.VIRTIO_NET_F_HOST_TSO4,
  N.VIRTIO_NET_F_HOST_TSO6,
  N.VIRTIO_NET_F_HOST_ECN,
  N.VIRTIO_NET_F_HOST_UFO,
  N.VIRTIO_NET_F_HOST_USO,
  N.VIRTIO_NET_F_GUEST_TSO4,
  N.VIRTIO_NET_F_GUEST_TSO6,
  N.VIRTIO_NET_F_GUEST_ECN,
  N.VIRTIO_NET_F_GUEST_UFO,
  N.VIRTIO_NET_F_GUEST_USO4,
  N.VIRTIO_NET_F_GUEST_USO6,
  N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
  N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
  N.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  N.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
]);

/**
 * Spec names of the header features the device is asked to offer on top of its default, so that
 * every header length can occur; an adapter may offer fewer (the session reads the real offer).
 */
export const HEADER_FEATURE_OFFER: readonly string[] = Object.freeze([
  'VIRTIO_NET_F_HASH_REPORT',
  'VIRTIO_NET_F_OUT_NET_HEADER',
  'VIRTIO_NET_F_HOST_UFO',
  'VIRTIO_NET_F_HOST_USO',
  'VIRTIO_NET_F_GUEST_UFO',
  'VIRTIO_NET_F_GUEST_USO4',
  'VIRTIO_NET_F_GUEST_USO6',
  'VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO',
  'VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM',
  'VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO',
  'VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM',
]);

/**
 * One feature set per header length the size rule gives on a modern device (12, 20, 24, 32
 * bytes), each with what its features depend on. HASH_REPORT's need for CTRL_VQ is a SHOULD NOT
 * outside the dependency table (summary.md defect 9), so CTRL_VQ is added by hand.
 */
export const HEADER_LENGTH_CLASSES: readonly FeatureSet[] = Object.freeze([
  0n,
  withDependencies(featureMask(N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ)),
  withDependencies(featureMask(N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO)),
  withDependencies(featureMask(N.VIRTIO_NET_F_OUT_NET_HEADER)),
]);

/**
 * Feature sets over {@link HEADER_FEATURES}. Each bit is drawn on its own, so the dependency
 * closure a session applies keeps a varied mix of header lengths (10 is never reached: the
 * session always negotiates VERSION_1).
 */
export function headerFeatureSet(bits: readonly number[] = HEADER_FEATURES): fc.Arbitrary<FeatureSet> {
  return fc.subarray([...bits]).map((chosen) => featureMask(...chosen));
}

/**
 * Cut positions for a byte string of `total` bytes whose first `hdrLength` bytes are a header:
 * up to `maxCuts` distinct positions in 1..total−1, biased towards the header and its end so that
 * every split of the header occurs often. Sorted ascending.
 */
export function cutPoints(total: number, hdrLength: number, maxCuts = 3): fc.Arbitrary<readonly number[]> {
  if (total < 2) return fc.constant([]);
  const inHeader = fc.integer({ min: 1, max: Math.min(total - 1, hdrLength + 1) });
  const anywhere = fc.integer({ min: 1, max: total - 1 });
  return fc.uniqueArray(fc.oneof(inHeader, anywhere), { maxLength: maxCuts }).map((cuts) => [...cuts].sort((a, b) => a - b));
}

/** `bytes` cut at `cuts` (ascending, inside 1..length−1) into consecutive pieces. */
export function cutBytes(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    if (cut <= from || cut >= bytes.length) continue;
    pieces.push(bytes.subarray(from, cut));
    from = cut;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** The lengths of `total` bytes cut at `cuts` (see {@link cutBytes}). */
export function cutLengths(total: number, cuts: readonly number[]): number[] {
  const lengths: number[] = [];
  let from = 0;
  for (const cut of cuts) {
    if (cut <= from || cut >= total) continue;
    lengths.push(cut - from);
    from = cut;
  }
  lengths.push(total - from);
  return lengths;
}
