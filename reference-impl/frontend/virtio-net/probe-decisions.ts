/**
 * The decisions `virtnet_validate` and `virtnet_probe` take, as pure
 * functions of the negotiated features and the config values read
 * (linux-driver-facts §1.3-§1.10, §6). The driver modules call these; the
 * table tests check each against the line of the facts it cites.
 *
 * @module
 */

import { type FeatureSet, featureName, hasFeature } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_F_ANY_LAYOUT, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN } from '../../../specs/net/config.js';
import {
  VIRTIO_NET_RSS_HASH_TYPE_IP_EX,
  VIRTIO_NET_RSS_HASH_TYPE_TCP_EX,
  VIRTIO_NET_RSS_HASH_TYPE_UDP_EX,
} from '../../../specs/net/hash.js';
import {
  ETH_DATA_LEN,
  ETH_HLEN,
  GOOD_PACKET_LEN,
  IP_MAX_MTU,
  L1_CACHE_BYTES,
  MAX_SKB_FRAGS,
  MIN_MTU,
  PADDED_VNET_HDR_LEN,
  PAGE_SIZE,
  VIRTIO_NET_RSS_MAX_KEY_SIZE,
  VIRTIO_XDP_HEADROOM,
  VLAN_HLEN,
} from './constants.js';
import { NEEDS_CTRL_VQ } from './features.js';

/** Why `virtnet_validate_features` refuses the device. */
export interface FeatureRefusal {
  readonly kind: 'needs-ctrl-vq';
  /** The first offending feature bit, in Linux's test order. */
  readonly feature: number;
  /** Linux's `dev_err` text. */
  readonly message: string;
}

/**
 * `virtnet_validate_features` (virtio_net.c:3761-3783): without CTRL_VQ the
 * first of CTRL_RX, CTRL_VLAN, GUEST_ANNOUNCE, MQ, CTRL_MAC_ADDR, RSS,
 * HASH_REPORT, NOTF_COAL that is negotiated fails probe. Implements the
 * driver side of `net.featdep.*.driver` rows that name CTRL_VQ.
 */
export function validateFeatures(features: FeatureSet): FeatureRefusal | null {
  if (hasFeature(features, N.VIRTIO_NET_F_CTRL_VQ)) return null;
  for (const bit of NEEDS_CTRL_VQ) {
    if (hasFeature(features, bit)) {
      return {
        kind: 'needs-ctrl-vq',
        feature: bit,
        message: `device advertises feature ${featureName(bit)} but not VIRTIO_NET_F_CTRL_VQ`,
      };
    }
  }
  return null;
}

/**
 * The validate-time MTU rule (virtio_net.c:3798-3805, fe36cbe0671e): an
 * `mtu` below 68 clears F_MTU (the core then writes the features again);
 * there is no upper bound. True when F_MTU must be cleared.
 */
export function mtuClearsFeature(mtu: number): boolean {
  return mtu < MIN_MTU;
}

/**
 * The probe-time MTU re-read (virtio_net.c:3992-4009): below 68 now is the
 * TOCTOU refusal, else the device MTU is both `mtu` and `max_mtu`.
 */
export function probeMtu(mtu: number): { readonly kind: 'ok'; readonly mtu: number; readonly maxMtu: number } | { readonly kind: 'changed'; readonly message: string } {
  if (mtu < MIN_MTU) return { kind: 'changed', message: `device MTU appears to have changed it is now ${mtu} < ${MIN_MTU}` };
  return { kind: 'ok', mtu, maxMtu: mtu };
}

/** True when `max_virtqueue_pairs` is read at all: MQ or RSS negotiated (virtio_net.c:3840-3843; `net.cfg.driver.3`). */
export function readsMaxVirtqueuePairs(features: FeatureSet): boolean {
  return hasFeature(features, N.VIRTIO_NET_F_MQ) || hasFeature(features, N.VIRTIO_NET_F_RSS);
}

/**
 * `max_queue_pairs` (virtio_net.c:3840-3850): the config value when MQ or
 * RSS is negotiated, silently 1 when it is outside 1..0x8000 or there is no
 * control queue. `configValue` is ignored when the field is not read.
 */
export function maxQueuePairs(features: FeatureSet, configValue: number): number {
  if (!readsMaxVirtqueuePairs(features)) return 1;
  if (configValue < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || configValue > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX) return 1;
  return hasFeature(features, N.VIRTIO_NET_F_CTRL_VQ) ? configValue : 1;
}

/** `curr_queue_pairs = min(num_online_cpus(), max_queue_pairs)` (virtio_net.c:4016-4021). */
export function currQueuePairs(onlineCpus: number, maxPairs: number): number {
  return Math.min(onlineCpus, maxPairs);
}

/** Whether VQ_PAIRS_SET goes out after DRIVER_OK: `has_cvq && F_MQ`, even for 1 (virtio_net.c:2189-2190, :4060). */
export function sendsVqPairsSet(features: FeatureSet): boolean {
  return hasFeature(features, N.VIRTIO_NET_F_CTRL_VQ) && hasFeature(features, N.VIRTIO_NET_F_MQ);
}

/** Header lengths Linux 6.1 uses. */
export type VirtnetHdrLen = 10 | 12 | 20;

/**
 * `vi->hdr_len` (virtio_net.c:3977-3983): 20 with HASH_REPORT, 12 with
 * MRG_RXBUF or VERSION_1, else 10; the same on transmit and receive
 * (`net.tx.driver.1`, `net.rxbuf.driver.4`).
 */
export function hdrLen(features: FeatureSet): VirtnetHdrLen {
  if (hasFeature(features, N.VIRTIO_NET_F_HASH_REPORT)) return 20;
  if (hasFeature(features, N.VIRTIO_NET_F_MRG_RXBUF) || hasFeature(features, VIRTIO_F_VERSION_1)) return 12;
  return 10;
}

/** `any_header_sg` (virtio_net.c:3985-3987): ANY_LAYOUT or VERSION_1 (`framing.driver.1`). */
export function anyHeaderSg(features: FeatureSet): boolean {
  return hasFeature(features, VIRTIO_F_ANY_LAYOUT) || hasFeature(features, VIRTIO_F_VERSION_1);
}

/** `virtnet_check_guest_gso` (virtio_net.c:3810-3816). */
export function guestGso(features: FeatureSet): boolean {
  return (
    hasFeature(features, N.VIRTIO_NET_F_GUEST_TSO4) ||
    hasFeature(features, N.VIRTIO_NET_F_GUEST_TSO6) ||
    hasFeature(features, N.VIRTIO_NET_F_GUEST_ECN) ||
    hasFeature(features, N.VIRTIO_NET_F_GUEST_UFO)
  );
}

/** Result of `virtnet_set_big_packets`. */
export interface BigPackets {
  readonly bigPackets: boolean;
  /** Pages per big-mode buffer after the first (0 when not big). */
  readonly numSkbfrags: number;
}

/**
 * `virtnet_set_big_packets(vi, mtu)` (virtio_net.c:3818-3830): big when the
 * device MTU exceeds 1500 or any guest GSO is negotiated; 17 pages with
 * guest GSO, else enough pages for the MTU. `mtu` is 0 without F_MTU.
 */
export function bigPackets(features: FeatureSet, mtu: number): BigPackets {
  const gso = guestGso(features);
  if (!(mtu > ETH_DATA_LEN || gso)) return { bigPackets: false, numSkbfrags: 0 };
  return { bigPackets: true, numSkbfrags: gso ? MAX_SKB_FRAGS : Math.ceil(mtu / PAGE_SIZE) };
}

/** RX buffer modes. */
export type RxMode = 'mergeable' | 'big' | 'small';

/** Mode precedence: mergeable if MRG_RXBUF, else big, else small (receive_buf :1300-1305, try_fill_recv :1494-1499). */
export function rxMode(features: FeatureSet, big: boolean): RxMode {
  if (hasFeature(features, N.VIRTIO_NET_F_MRG_RXBUF)) return 'mergeable';
  return big ? 'big' : 'small';
}

/**
 * Whether RX queues get a per-buffer context, which rules out indirect
 * descriptors (virtnet_find_vqs :3580-3604): `!big_packets || mergeable`.
 * Big-mode RX, TX and the control queue use indirect when negotiated.
 */
export function rxQueueHasContext(mode: RxMode): boolean {
  return mode !== 'big';
}

/** `virtnet_get_headroom`: XDP headroom while a program is attached, else 0. */
export function rxHeadroom(xdpEnabled: boolean): number {
  return xdpEnabled ? VIRTIO_XDP_HEADROOM : 0;
}

/** Descriptor length of a small-mode buffer: `hdr_len + GOOD_PACKET_LEN` (add_recvbuf_small :1344-1368). */
export function smallBufLen(hdr: number): number {
  return hdr + GOOD_PACKET_LEN;
}

/**
 * Descriptor lengths of a big-mode buffer (add_recvbuf_big :1370-1417):
 * the header alone, the rest of that page after the 32-byte padded header,
 * then `numSkbfrags` whole pages.
 */
export function bigBufSegments(hdr: number, numSkbfrags: number): readonly number[] {
  return [hdr, PAGE_SIZE - PADDED_VNET_HDR_LEN, ...new Array<number>(numSkbfrags).fill(PAGE_SIZE)];
}

/** Bytes a big-mode buffer can take, the bound of receive_big (:940-975). */
export function bigBufTotal(hdr: number, numSkbfrags: number): number {
  return (numSkbfrags + 1) * PAGE_SIZE - PADDED_VNET_HDR_LEN + hdr;
}

/**
 * `mergeable_min_buf_len` (virtio_net.c:3541-3551, d85b758f72b0): the
 * smallest mergeable buffer such that a full ring holds one packet of
 * `packet_len` (65535 with big packets, else `max_mtu`), and never below
 * 1518.
 */
export function mergeableMinBufLen(hdr: number, ringSize: number, big: boolean, maxMtu: number): number {
  const packetLen = big ? IP_MAX_MTU : maxMtu;
  const bufLen = hdr + ETH_HLEN + VLAN_HLEN + packetLen;
  const minBufLen = Math.ceil(bufLen / ringSize);
  return Math.max(Math.max(minBufLen, hdr) - hdr, GOOD_PACKET_LEN);
}

/**
 * `get_mergeable_buf_len` (virtio_net.c:1419-1434): with XDP room the
 * buffer is the page minus the room; otherwise the EWMA of packet lengths
 * clamped to [min_buf_len, PAGE_SIZE − hdr_len] (clamp_t: the upper bound
 * wins when they cross), plus the header, aligned to 64.
 */
export function mergeableBufLen(avgPktLen: number, minBufLen: number, hdr: number, room: number): number {
  if (room !== 0) return PAGE_SIZE - room;
  const clamped = Math.min(Math.max(avgPktLen, minBufLen), PAGE_SIZE - hdr);
  return Math.ceil((hdr + clamped) / L1_CACHE_BYTES) * L1_CACHE_BYTES;
}

/** Outcome of the RSS / hash-report config reads at probe (virtio_net.c:3946-3975). */
export type RssProbe =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'rss';
      readonly hasRss: boolean;
      readonly hasHashReport: boolean;
      readonly indirTableSize: number;
      readonly keySize: number;
      readonly hashTypesSupported: number;
    }
  | { readonly kind: 'key-too-large'; readonly message: string };

/**
 * The RSS probe rule: with RSS or HASH_REPORT, `rss_max_key_size > 40`
 * fails probe; `supported_hash_types` loses the three `_EX` bits; the
 * indirection table size is read with RSS only. Not validated, as in Linux:
 * a table size of 0 or not a power of two, and a key size of 0.
 */
export function rssProbe(
  features: FeatureSet,
  config: { readonly indirTableSize: number; readonly keySize: number; readonly hashTypes: number },
): RssProbe {
  const hasRss = hasFeature(features, N.VIRTIO_NET_F_RSS);
  const hasHashReport = hasFeature(features, N.VIRTIO_NET_F_HASH_REPORT);
  if (!hasRss && !hasHashReport) return { kind: 'none' };
  if (config.keySize > VIRTIO_NET_RSS_MAX_KEY_SIZE) {
    return { kind: 'key-too-large', message: `rss_max_key_size=${config.keySize} exceeds the limit ${VIRTIO_NET_RSS_MAX_KEY_SIZE}.` };
  }
  const ex = VIRTIO_NET_RSS_HASH_TYPE_IP_EX | VIRTIO_NET_RSS_HASH_TYPE_TCP_EX | VIRTIO_NET_RSS_HASH_TYPE_UDP_EX;
  return {
    kind: 'rss',
    hasRss,
    hasHashReport,
    indirTableSize: hasRss ? config.indirTableSize : 0,
    keySize: config.keySize,
    hashTypesSupported: (config.hashTypes & ~ex) >>> 0,
  };
}

/** `ethtool_rxfh_indir_default`: entry i is `i % queuePairs` (virtnet_init_default_rss :2552-2572). */
export function defaultIndirectionTable(size: number, queuePairs: number): Uint16Array {
  const t = new Uint16Array(size);
  for (let i = 0; i < size; i++) t[i] = i % queuePairs;
  return t;
}

/** True when `mac` is a valid unicast Ethernet address: not multicast, not all zero (`is_valid_ether_addr`). */
export function isValidEtherAddr(mac: Uint8Array): boolean {
  return mac.length === 6 && ((mac[0] as number) & 1) === 0 && mac.some((b) => b !== 0);
}

/**
 * `eth_hw_addr_random`: a random locally administered unicast address
 * (bit 1 of the first byte set, bit 0 clear).
 */
export function randomEtherAddr(random: () => number = Math.random): Uint8Array {
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = Math.floor(random() * 256) & 0xff;
  mac[0] = ((mac[0] as number) & 0xfe) | 0x02;
  return mac;
}
