/**
 * The negotiated feature set, taken apart once at DRIVER_OK into the plain
 * booleans and numbers the datapath tests per frame, so that no frame pays
 * for BigInt arithmetic.
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../../specs/features/feature-set.js';
import * as N from '../../specs/features/net.js';
import { virtioNetHdrLength, type VirtioNetHdrLength } from '../../specs/net/hdr.js';
import { queuePairCount } from '../../specs/net/queues.js';

/** What the datapath needs to know about a negotiation. */
export interface NetNegotiation {
  /** The negotiated set. */
  readonly features: FeatureSet;
  /** Header length on both queues (`net.tx.driver.1`, `net.rxbuf.driver.4`). */
  readonly hdrLength: VirtioNetHdrLength;
  /** N: queue pairs the numbering is based on (`net.vq.any.1.device`). */
  readonly pairs: number;
  /** Virtqueue index of the controlq, or −1 without CTRL_VQ. */
  readonly controlq: number;
  readonly csum: boolean;
  readonly guestCsum: boolean;
  readonly hostTso4: boolean;
  readonly hostTso6: boolean;
  readonly hostEcn: boolean;
  readonly hostUfo: boolean;
  readonly hostUso: boolean;
  readonly hostTunnel: boolean;
  readonly hostTunnelCsum: boolean;
  readonly guestTso4: boolean;
  readonly guestTso6: boolean;
  readonly guestEcn: boolean;
  readonly guestUfo: boolean;
  readonly guestUso4: boolean;
  readonly guestUso6: boolean;
  readonly guestTunnel: boolean;
  readonly guestTunnelCsum: boolean;
  readonly mrgRxbuf: boolean;
  readonly hashReport: boolean;
  readonly ipsec: boolean;
  readonly ctrlVq: boolean;
  readonly ctrlGuestOffloads: boolean;
  readonly guestAnnounce: boolean;
  readonly status: boolean;
  readonly mtu: boolean;
}

/** Takes `features` apart; `maxVirtqueuePairs` is the device's config value. */
export function netNegotiation(features: FeatureSet, maxVirtqueuePairs: number): NetNegotiation {
  const has = (bit: number) => hasFeature(features, bit);
  const pairs = queuePairCount(features, maxVirtqueuePairs);
  return Object.freeze({
    features,
    hdrLength: virtioNetHdrLength(features),
    pairs,
    controlq: has(N.VIRTIO_NET_F_CTRL_VQ) ? 2 * pairs : -1,
    csum: has(N.VIRTIO_NET_F_CSUM),
    guestCsum: has(N.VIRTIO_NET_F_GUEST_CSUM),
    hostTso4: has(N.VIRTIO_NET_F_HOST_TSO4),
    hostTso6: has(N.VIRTIO_NET_F_HOST_TSO6),
    hostEcn: has(N.VIRTIO_NET_F_HOST_ECN),
    hostUfo: has(N.VIRTIO_NET_F_HOST_UFO),
    hostUso: has(N.VIRTIO_NET_F_HOST_USO),
    hostTunnel: has(N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO),
    hostTunnelCsum: has(N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM),
    guestTso4: has(N.VIRTIO_NET_F_GUEST_TSO4),
    guestTso6: has(N.VIRTIO_NET_F_GUEST_TSO6),
    guestEcn: has(N.VIRTIO_NET_F_GUEST_ECN),
    guestUfo: has(N.VIRTIO_NET_F_GUEST_UFO),
    guestUso4: has(N.VIRTIO_NET_F_GUEST_USO4),
    guestUso6: has(N.VIRTIO_NET_F_GUEST_USO6),
    guestTunnel: has(N.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO),
    guestTunnelCsum: has(N.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM),
    mrgRxbuf: has(N.VIRTIO_NET_F_MRG_RXBUF),
    hashReport: has(N.VIRTIO_NET_F_HASH_REPORT),
    ipsec: has(N.VIRTIO_NET_F_IPSEC),
    ctrlVq: has(N.VIRTIO_NET_F_CTRL_VQ),
    ctrlGuestOffloads: has(N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS),
    guestAnnounce: has(N.VIRTIO_NET_F_GUEST_ANNOUNCE),
    status: has(N.VIRTIO_NET_F_STATUS),
    mtu: has(N.VIRTIO_NET_F_MTU),
  });
}
