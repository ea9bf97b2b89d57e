/**
 * Shared setup for the control-state tests: feature sets, device facts and
 * a state snapshot for "nothing changed" assertions. Test support only.
 *
 * @module
 */

import { type FeatureSet, featureMask } from '../../../specs/features/feature-set.js';
import * as F from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_NET_RSS_HASH_TYPE_MASK } from '../../../specs/net/hash.js';
import { mac } from '../filter/test-frames.js';
import { type NetControlPolicy, NetControlState, type NetDeviceFacts } from './state.js';

/** VERSION_1 + CTRL_VQ: the controlq exists, no command class is negotiated. */
export const BARE: FeatureSet = featureMask(VIRTIO_F_VERSION_1, F.VIRTIO_NET_F_CTRL_VQ);

/** Every feature a control command needs, plus two receive offloads (GUEST_CSUM, GUEST_TSO4). */
export const FULL: FeatureSet =
  BARE |
  featureMask(
    F.VIRTIO_NET_F_MAC,
    F.VIRTIO_NET_F_STATUS,
    F.VIRTIO_NET_F_CTRL_RX,
    F.VIRTIO_NET_F_CTRL_VLAN,
    F.VIRTIO_NET_F_CTRL_RX_EXTRA,
    F.VIRTIO_NET_F_GUEST_ANNOUNCE,
    F.VIRTIO_NET_F_MQ,
    F.VIRTIO_NET_F_CTRL_MAC_ADDR,
    F.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
    F.VIRTIO_NET_F_GUEST_CSUM,
    F.VIRTIO_NET_F_GUEST_TSO4,
    F.VIRTIO_NET_F_NOTF_COAL,
    F.VIRTIO_NET_F_VQ_NOTF_COAL,
    F.VIRTIO_NET_F_RSS,
    F.VIRTIO_NET_F_HASH_REPORT,
    F.VIRTIO_NET_F_HASH_TUNNEL,
  );

/** The device MAC in the facts. */
export const DEVICE_MAC = mac('52:54:00:12:34:56');

/** Four queue pairs, the minimum RSS limits, every hash type. */
export const FACTS: NetDeviceFacts = {
  maxVirtqueuePairs: 4,
  mac: DEVICE_MAC,
  rssMaxKeySize: 40,
  rssMaxIndirectionTableLength: 128,
  supportedHashTypes: VIRTIO_NET_RSS_HASH_TYPE_MASK,
};

/** A state for `features` (default {@link FULL}). */
export function makeState(features: FeatureSet = FULL, policy: NetControlPolicy = {}, facts: NetDeviceFacts = FACTS): NetControlState {
  return new NetControlState(features, facts, policy);
}

/** Every observable field, as plain data. */
export function snapshot(s: NetControlState): unknown {
  return {
    modes: [s.promisc, s.allmulti, s.alluni, s.nomulti, s.nouni, s.nobcast],
    uc: s.unicastMacs,
    mc: s.multicastMacs,
    overflow: [s.unicastOverflow, s.multicastOverflow],
    vlans: [...s.vlans].sort((a, b) => a - b),
    mac: Array.from(s.mac),
    pairs: [s.activePairs, s.txPairs],
    offloads: s.guestOffloads.toString(16),
    rss: s.rss === null ? null : { ...s.rss, indirectionTable: Array.from(s.rss.indirectionTable), key: Array.from(s.rss.key) },
    hash: { types: s.hashConfig.hashTypes, key: Array.from(s.hashConfig.key) },
    coal: [s.coalescing.tx, s.coalescing.rx, ...Array.from({ length: s.coalescing.queueCount }, (_, i) => s.coalescing.get(i))],
    announce: s.announcePending,
    tunnel: s.enabledTunnelTypes,
  };
}
