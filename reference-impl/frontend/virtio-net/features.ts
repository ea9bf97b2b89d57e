/**
 * The virtio-net feature table of Linux 6.1 and how negotiated feature bits
 * become net_device feature flags (linux-driver-facts §1.2, §1.9).
 *
 * Netdev flags are a small bit set of our own; the names are the kernel's
 * `NETIF_F_*` so the mapping reads like `virtnet_probe`, but the bit
 * positions are not the kernel's.
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { hasFeature } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_F_ANY_LAYOUT } from '../../../specs/features/reserved.js';

/**
 * `VIRTNET_FEATURES` (virtio_net.c:4191-4203): the net bits the 6.1 driver
 * acks on a modern device. CTRL_RX_EXTRA, RSC_EXT, the USO bits,
 * VQ_NOTF_COAL and GUEST_HDRLEN are absent, so the driver never acks them.
 */
export const VIRTNET_FEATURES: readonly number[] = Object.freeze([
  N.VIRTIO_NET_F_CSUM,
  N.VIRTIO_NET_F_GUEST_CSUM,
  N.VIRTIO_NET_F_MAC,
  N.VIRTIO_NET_F_HOST_TSO4,
  N.VIRTIO_NET_F_HOST_UFO,
  N.VIRTIO_NET_F_HOST_TSO6,
  N.VIRTIO_NET_F_HOST_ECN,
  N.VIRTIO_NET_F_GUEST_TSO4,
  N.VIRTIO_NET_F_GUEST_TSO6,
  N.VIRTIO_NET_F_GUEST_ECN,
  N.VIRTIO_NET_F_GUEST_UFO,
  N.VIRTIO_NET_F_MRG_RXBUF,
  N.VIRTIO_NET_F_STATUS,
  N.VIRTIO_NET_F_CTRL_VQ,
  N.VIRTIO_NET_F_CTRL_RX,
  N.VIRTIO_NET_F_CTRL_VLAN,
  N.VIRTIO_NET_F_GUEST_ANNOUNCE,
  N.VIRTIO_NET_F_MQ,
  N.VIRTIO_NET_F_CTRL_MAC_ADDR,
  N.VIRTIO_NET_F_MTU,
  N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
  N.VIRTIO_NET_F_SPEED_DUPLEX,
  N.VIRTIO_NET_F_STANDBY,
  N.VIRTIO_NET_F_RSS,
  N.VIRTIO_NET_F_HASH_REPORT,
  N.VIRTIO_NET_F_NOTF_COAL,
]);

/** `features_legacy` (virtio_net.c:4209-4213): the modern table plus GSO and ANY_LAYOUT. */
export const VIRTNET_FEATURES_LEGACY: readonly number[] = Object.freeze([
  ...VIRTNET_FEATURES,
  N.VIRTIO_NET_F_GSO,
  VIRTIO_F_ANY_LAYOUT,
]);

/**
 * Features the driver insists on a control queue for
 * (`virtnet_validate_features` :3761-3783), in the order Linux tests them:
 * the first one present without CTRL_VQ fails probe.
 */
export const NEEDS_CTRL_VQ: readonly number[] = Object.freeze([
  N.VIRTIO_NET_F_CTRL_RX,
  N.VIRTIO_NET_F_CTRL_VLAN,
  N.VIRTIO_NET_F_GUEST_ANNOUNCE,
  N.VIRTIO_NET_F_MQ,
  N.VIRTIO_NET_F_CTRL_MAC_ADDR,
  N.VIRTIO_NET_F_RSS,
  N.VIRTIO_NET_F_HASH_REPORT,
  N.VIRTIO_NET_F_NOTF_COAL,
]);

/**
 * `guest_offloads[]` (virtio_net.c): receive offloads the driver can turn on
 * and off with GUEST_OFFLOADS_SET, kept at their feature-bit positions.
 */
export const GUEST_OFFLOADS: readonly number[] = Object.freeze([
  N.VIRTIO_NET_F_GUEST_TSO4,
  N.VIRTIO_NET_F_GUEST_TSO6,
  N.VIRTIO_NET_F_GUEST_ECN,
  N.VIRTIO_NET_F_GUEST_UFO,
  N.VIRTIO_NET_F_GUEST_CSUM,
]);

/** `GUEST_OFFLOAD_GRO_HW_MASK`: what turning GRO_HW off (or attaching XDP) withdraws. */
export const GUEST_OFFLOAD_GRO_HW_MASK: bigint =
  (1n << BigInt(N.VIRTIO_NET_F_GUEST_TSO4)) |
  (1n << BigInt(N.VIRTIO_NET_F_GUEST_TSO6)) |
  (1n << BigInt(N.VIRTIO_NET_F_GUEST_ECN)) |
  (1n << BigInt(N.VIRTIO_NET_F_GUEST_UFO));

/** The negotiated subset of {@link GUEST_OFFLOADS} as a le64 mask value (virtnet_probe :4099-4102). */
export function guestOffloadsOf(features: FeatureSet): bigint {
  let mask = 0n;
  for (const bit of GUEST_OFFLOADS) if (hasFeature(features, bit)) mask |= 1n << BigInt(bit);
  return mask;
}

/** A netdev feature flag (`NETIF_F_*`). */
export type NetifFeature = number;

/** Scatter-gather transmit. */
export const NETIF_F_SG = 1 << 0;
/** Checksum offload for any protocol (CHECKSUM_PARTIAL on transmit). */
export const NETIF_F_HW_CSUM = 1 << 1;
/** DMA to high memory. */
export const NETIF_F_HIGHDMA = 1 << 2;
/** TCPv4 segmentation offload. */
export const NETIF_F_TSO = 1 << 3;
/** TSO with ECN. */
export const NETIF_F_TSO_ECN = 1 << 4;
/** TCPv6 segmentation offload. */
export const NETIF_F_TSO6 = 1 << 5;
/** The device handles malformed GSO packets itself. */
export const NETIF_F_GSO_ROBUST = 1 << 6;
/** Receive checksum offload (honour DATA_VALID / NEEDS_CSUM). */
export const NETIF_F_RXCSUM = 1 << 7;
/** Hardware GRO: receive GSO packets from the device. */
export const NETIF_F_GRO_HW = 1 << 8;
/** Receive hashing (RSS / hash report). */
export const NETIF_F_RXHASH = 1 << 9;
/** VLAN CTAG filtering in hardware. */
export const NETIF_F_HW_VLAN_CTAG_FILTER = 1 << 10;
/** `NETIF_F_ALL_TSO` as far as virtio-net uses it. */
export const NETIF_F_ALL_TSO = NETIF_F_TSO | NETIF_F_TSO_ECN | NETIF_F_TSO6;

/** Flag names, for diagnostics and `ethtool -k`. */
export const NETIF_F_NAMES: Readonly<Record<string, NetifFeature>> = Object.freeze({
  'tx-scatter-gather': NETIF_F_SG,
  'tx-checksum-hw': NETIF_F_HW_CSUM,
  highdma: NETIF_F_HIGHDMA,
  'tx-tcp-segmentation': NETIF_F_TSO,
  'tx-tcp-ecn-segmentation': NETIF_F_TSO_ECN,
  'tx-tcp6-segmentation': NETIF_F_TSO6,
  'tx-gso-robust': NETIF_F_GSO_ROBUST,
  'rx-checksum': NETIF_F_RXCSUM,
  'rx-gro-hw': NETIF_F_GRO_HW,
  'receive-hashing': NETIF_F_RXHASH,
  'rx-vlan-filter': NETIF_F_HW_VLAN_CTAG_FILTER,
});

/** Names of the flags set in `flags`. */
export function netifFeatureNames(flags: NetifFeature): readonly string[] {
  return Object.entries(NETIF_F_NAMES)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);
}

/** Module parameters of virtio_net that change the feature mapping. */
export interface VirtnetModuleParams {
  /** `csum`: turn on transmit checksum offload when offered. @default true */
  readonly csum?: boolean;
  /** `gso`: turn on TSO when offered. @default true */
  readonly gso?: boolean;
  /** `napi_tx`: TX completions through NAPI. @default true */
  readonly napiTx?: boolean;
}

/** Netdev feature sets at registration. */
export interface NetdevFeatureSets {
  /** `dev->features`: what is on. */
  readonly features: NetifFeature;
  /** `dev->hw_features`: what `ethtool -K` may toggle. */
  readonly hwFeatures: NetifFeature;
  /** `dev->vlan_features`. */
  readonly vlanFeatures: NetifFeature;
}

/**
 * Netdev features for the negotiated `features` (virtnet_probe :3857-3907,
 * RXHASH :3946-3975, VLAN filter virtnet_find_vqs :3612-3614), after the
 * netdev core's `netdev_fix_features` drops TSO without SG or checksum
 * offload (the "(!csum && gso) case will be fixed by register_netdev()").
 * HOST_UFO gives no flag: the 6.1 driver never emits UFO.
 */
export function netdevFeatures(features: FeatureSet, params: VirtnetModuleParams = {}): NetdevFeatureSets {
  const has = (bit: number): boolean => hasFeature(features, bit);
  let f = NETIF_F_HIGHDMA;
  let hw = 0;
  if (has(N.VIRTIO_NET_F_CSUM)) {
    hw |= NETIF_F_HW_CSUM | NETIF_F_SG;
    if (params.csum ?? true) f |= NETIF_F_HW_CSUM | NETIF_F_SG;
    if (has(N.VIRTIO_NET_F_GSO)) hw |= NETIF_F_TSO | NETIF_F_TSO_ECN | NETIF_F_TSO6;
    if (has(N.VIRTIO_NET_F_HOST_TSO4)) hw |= NETIF_F_TSO;
    if (has(N.VIRTIO_NET_F_HOST_TSO6)) hw |= NETIF_F_TSO6;
    if (has(N.VIRTIO_NET_F_HOST_ECN)) hw |= NETIF_F_TSO_ECN;
    f |= NETIF_F_GSO_ROBUST;
    if (params.gso ?? true) f |= hw & NETIF_F_ALL_TSO;
  }
  // 6.1 sets RXCSUM whatever GUEST_CSUM says (:3899): DATA_VALID is honoured regardless.
  f |= NETIF_F_RXCSUM;
  if (has(N.VIRTIO_NET_F_GUEST_TSO4) || has(N.VIRTIO_NET_F_GUEST_TSO6)) f |= NETIF_F_GRO_HW;
  if (has(N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS)) hw |= NETIF_F_GRO_HW;
  const vlanFeatures = f;
  if (has(N.VIRTIO_NET_F_RSS) || has(N.VIRTIO_NET_F_HASH_REPORT)) hw |= NETIF_F_RXHASH;
  if (has(N.VIRTIO_NET_F_CTRL_VQ) && has(N.VIRTIO_NET_F_CTRL_VLAN)) f |= NETIF_F_HW_VLAN_CTAG_FILTER;
  return { features: fixFeatures(f), hwFeatures: hw, vlanFeatures };
}

/** `netdev_fix_features`, the part virtio-net reaches: TSO needs SG and a checksum offload. */
export function fixFeatures(flags: NetifFeature): NetifFeature {
  if ((flags & NETIF_F_SG) === 0 || (flags & NETIF_F_HW_CSUM) === 0) return flags & ~NETIF_F_ALL_TSO;
  return flags;
}
