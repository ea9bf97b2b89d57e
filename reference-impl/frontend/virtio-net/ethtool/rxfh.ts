/**
 * RSS through ethtool (Linux 6.1): `ethtool -x/-X` (`virtnet_get_rxfh`,
 * `virtnet_set_rxfh` with the 2024 "do not send RSS key if it is not
 * supported" backport) and `ethtool -n/-N rx-flow-hash`
 * (`virtnet_get_rxnfc` / `virtnet_set_rxnfc`, `virtnet_set_hashflow`).
 * These are the only paths that send RSS_CONFIG / HASH_CONFIG besides
 * toggling RXHASH; nothing is sent at probe (linux-driver-facts §2.3).
 *
 * @module
 */

import * as H from '../../../../specs/net/hash.js';
import { errno } from '../constants.js';
import { virtnetCommitRss } from '../ctrl-commands.js';
import { NETIF_F_RXHASH } from '../features.js';
import type { VirtnetInfo } from '../virtnet-info.js';

/** ethtool hash function values. */
export const ETH_RSS_HASH_NO_CHANGE = 0;
/** Toeplitz. */
export const ETH_RSS_HASH_TOP = 1;
/** XOR (not supported by virtio-net). */
export const ETH_RSS_HASH_XOR = 2;

/** `virtnet_get_rxfh_key_size`. */
export function virtnetGetRxfhKeySize(vi: VirtnetInfo): number {
  return vi.rssKeySize;
}

/** `virtnet_get_rxfh_indir_size`. */
export function virtnetGetRxfhIndirSize(vi: VirtnetInfo): number {
  return vi.rssIndirTableSize;
}

/** `virtnet_get_rxfh`: the table, the key and Toeplitz. */
export function virtnetGetRxfh(vi: VirtnetInfo): { readonly indir: readonly number[]; readonly key: Uint8Array; readonly hfunc: number } {
  return { indir: [...vi.rss.indirectionTable], key: vi.rss.key.slice(0, vi.rssKeySize), hfunc: ETH_RSS_HASH_TOP };
}

/**
 * `virtnet_set_rxfh`: -EOPNOTSUPP for a hash function other than Toeplitz,
 * a table without RSS, or a key without RSS and HASH_REPORT; otherwise the
 * command goes out and its result is ignored (0).
 */
export async function virtnetSetRxfh(vi: VirtnetInfo, indir: readonly number[] | null, key: Uint8Array | null, hfunc: number): Promise<number> {
  if (hfunc !== ETH_RSS_HASH_NO_CHANGE && hfunc !== ETH_RSS_HASH_TOP) return errno.EOPNOTSUPP;
  let update = false;
  if (indir !== null) {
    if (!vi.hasRss) return errno.EOPNOTSUPP;
    for (let i = 0; i < vi.rssIndirTableSize; i++) vi.rss.indirectionTable[i] = (indir[i] ?? 0) & 0xffff;
    update = true;
  }
  if (key !== null) {
    if (!vi.hasRss && !vi.hasRssHashReport) return errno.EOPNOTSUPP;
    vi.rss.key.set(key.subarray(0, vi.rssKeySize));
    update = true;
  }
  if (update) await virtnetCommitRss(vi);
  return 0;
}

/** ethtool flow types virtio-net knows. */
export type EthtoolFlowType = 'tcp4' | 'udp4' | 'ip4' | 'tcp6' | 'udp6' | 'ip6';
/** rx-flow-hash bit: L2 destination address (`RXH_L2DA`). */
export const RXH_L2DA = 1 << 1;
/** rx-flow-hash bit: IP source address. */
export const RXH_IP_SRC = 1 << 4;
/** rx-flow-hash bit: IP destination address. */
export const RXH_IP_DST = 1 << 5;
/** rx-flow-hash bit: L4 bytes 0-1 (source port). */
export const RXH_L4_B_0_1 = 1 << 6;
/** rx-flow-hash bit: L4 bytes 2-3 (destination port). */
export const RXH_L4_B_2_3 = 1 << 7;
/** rx-flow-hash: discard ("r"). */
export const RXH_DISCARD = 1 << 31;

const SD = RXH_IP_SRC | RXH_IP_DST;
const SDFN = SD | RXH_L4_B_0_1 | RXH_L4_B_2_3;

/** `virtnet_get_hashflow`: the RXH bits the saved hash types give one flow type. */
export function virtnetGetHashflow(vi: VirtnetInfo, flow: EthtoolFlowType): number {
  const t = vi.rssHashTypesSaved;
  const pick = (l4: number, l3: number): number => ((t & l4) !== 0 ? SDFN : (t & l3) !== 0 ? SD : 0);
  switch (flow) {
    case 'tcp4':
      return pick(H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, H.VIRTIO_NET_RSS_HASH_TYPE_IPv4);
    case 'udp4':
      return pick(H.VIRTIO_NET_RSS_HASH_TYPE_UDPv4, H.VIRTIO_NET_RSS_HASH_TYPE_IPv4);
    case 'tcp6':
      return pick(H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6, H.VIRTIO_NET_RSS_HASH_TYPE_IPv6);
    case 'udp6':
      return pick(H.VIRTIO_NET_RSS_HASH_TYPE_UDPv6, H.VIRTIO_NET_RSS_HASH_TYPE_IPv6);
    case 'ip4':
      return (t & H.VIRTIO_NET_RSS_HASH_TYPE_IPv4) !== 0 ? SD : 0;
    case 'ip6':
      return (t & H.VIRTIO_NET_RSS_HASH_TYPE_IPv6) !== 0 ? SD : 0;
  }
}

/**
 * `virtnet_set_hashflow` (ETHTOOL_SRXFH): only "sd", "sdfn" and "r"
 * (discard); the resulting hash types must be supported. A change is saved
 * and committed when RXHASH is on. -EINVAL when refused.
 */
export async function virtnetSetHashflow(vi: VirtnetInfo, flow: EthtoolFlowType, data: number): Promise<number> {
  let t = vi.rssHashTypesSaved;
  const isDisable = (data & RXH_DISCARD) !== 0;
  const isL4 = data === SDFN;
  if (!(data === SD || isL4 || isDisable)) return errno.EINVAL;
  const l4 = (v4: number, l3: number): void => {
    t &= ~(l3 | v4);
    if (!isDisable) t |= l3 | (isL4 ? v4 : 0);
  };
  switch (flow) {
    case 'tcp4':
      l4(H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, H.VIRTIO_NET_RSS_HASH_TYPE_IPv4);
      break;
    case 'udp4':
      l4(H.VIRTIO_NET_RSS_HASH_TYPE_UDPv4, H.VIRTIO_NET_RSS_HASH_TYPE_IPv4);
      break;
    case 'tcp6':
      l4(H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6, H.VIRTIO_NET_RSS_HASH_TYPE_IPv6);
      break;
    case 'udp6':
      l4(H.VIRTIO_NET_RSS_HASH_TYPE_UDPv6, H.VIRTIO_NET_RSS_HASH_TYPE_IPv6);
      break;
    case 'ip4':
      t &= ~H.VIRTIO_NET_RSS_HASH_TYPE_IPv4;
      if (!isDisable) t = H.VIRTIO_NET_RSS_HASH_TYPE_IPv4;
      break;
    case 'ip6':
      t &= ~H.VIRTIO_NET_RSS_HASH_TYPE_IPv6;
      if (!isDisable) t = H.VIRTIO_NET_RSS_HASH_TYPE_IPv6;
      break;
  }
  if ((t & vi.rssHashTypesSupported) !== t) return errno.EINVAL;
  if (t !== vi.rssHashTypesSaved) {
    vi.rssHashTypesSaved = t;
    vi.rss.hashTypes = t;
    if ((vi.dev.features & NETIF_F_RXHASH) !== 0 && !(await virtnetCommitRss(vi))) return errno.EINVAL;
  }
  return 0;
}
