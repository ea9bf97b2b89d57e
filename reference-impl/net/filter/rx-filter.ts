/**
 * The receive filter: whether the device hands an incoming frame to the
 * driver, given what the control queue programmed (virtio 1.4 5.1.9.5.1
 * - 5.1.9.5.3). A pure function of filter state and frame.
 *
 * The spec makes filtering best effort (summary.md, "RX filtering is best
 * effort"): every SHOULD below may be broken in the direction of accepting
 * more. The hard rules are the VLAN MUSTs: without CTRL_VLAN every tagged
 * frame is accepted (`net.ctrl.vlan.device.1`); with it, a listed VID is
 * accepted (`net.ctrl.vlan.device.2`). This reference applies every SHOULD
 * exactly, so a driver's programming is observable frame by frame.
 *
 * Order of the decision, and why:
 * 1. A frame shorter than an Ethernet header (or a tagged one shorter than
 *    the tag) is dropped: it has no destination to classify.
 * 2. PROMISC accepts everything, VLAN and NO* modes included
 *    (`net.ctrl.rx.device.2`, `net.ctrl.rx.device.3`). QEMU does the same,
 *    and the spec's "receive all incoming packets" wins over the VLAN
 *    SHOULD-drop.
 * 3. With CTRL_VLAN negotiated, an 802.1Q-tagged frame (TPID 0x8100) whose
 *    VID (TCI & 0xfff) is not in the table is dropped
 *    (`net.ctrl.vlan.device.3`). Only 0x8100 counts as a VLAN tag, as in QEMU
 *    and Linux's CTAG filter; VID 0 (priority tag) needs a table entry too
 *    (Linux's 8021q adds VID 0 itself). Untagged frames are unaffected.
 * 4. By destination class:
 *    - broadcast: dropped with NOBCAST even under ALLMULTI
 *      (`net.ctrl.rx.device.12`, `net.ctrl.rx.device.13`); NOMULTI does not
 *      apply (`net.ctrl.rx.device.9`); otherwise accepted.
 *    - multicast: NOMULTI drops even under ALLMULTI (`net.ctrl.rx.device.7`,
 *      `net.ctrl.rx.device.8`); ALLMULTI or an overflowed multicast table
 *      accepts (`net.ctrl.rx.device.4`); else only multicast-table entries
 *      (`net.ctrl.mac.device.4`).
 *    - unicast: NOUNI drops even under ALLUNI and even the device's own MAC
 *      (`net.ctrl.rx.device.10`, `net.ctrl.rx.device.11`); ALLUNI or an
 *      overflowed unicast table accepts (`net.ctrl.rx.device.6`); else the
 *      default MAC or a unicast-table entry (`net.ctrl.mac.device.4`).
 *    Each table matches only frames of its own class, as in QEMU.
 *
 * @module
 */

import { BROADCAST_MAC, isGroupMac, macToNumber } from './mac-address.js';

/** TPID of an 802.1Q (C-tag) VLAN header. */
export const ETH_P_8021Q = 0x8100;
/** Size of an Ethernet header without VLAN tag. */
export const ETH_HLEN = 14;

/** What the filter reads: the programmed modes and tables. */
export interface RxFilterState {
  /** VIRTIO_NET_CTRL_RX_PROMISC is on. */
  readonly promisc: boolean;
  /** VIRTIO_NET_CTRL_RX_ALLMULTI is on. */
  readonly allmulti: boolean;
  /** VIRTIO_NET_CTRL_RX_ALLUNI is on. */
  readonly alluni: boolean;
  /** VIRTIO_NET_CTRL_RX_NOMULTI is on. */
  readonly nomulti: boolean;
  /** VIRTIO_NET_CTRL_RX_NOUNI is on. */
  readonly nouni: boolean;
  /** VIRTIO_NET_CTRL_RX_NOBCAST is on. */
  readonly nobcast: boolean;
  /** Unicast filter table (MAC_TABLE_SET first table), 48-bit MAC numbers. */
  readonly unicastTable: ReadonlySet<number>;
  /** Multicast filter table (MAC_TABLE_SET second table). */
  readonly multicastTable: ReadonlySet<number>;
  /** The unicast table did not fit the device: accept every unicast frame. */
  readonly unicastOverflow: boolean;
  /** The multicast table did not fit the device: accept every multicast frame. */
  readonly multicastOverflow: boolean;
  /** CTRL_VLAN was negotiated, so the VLAN table filters tagged frames. */
  readonly vlanFiltering: boolean;
  /** VLAN filter table (VIDs 0..4095). */
  readonly vlans: ReadonlySet<number>;
}

/** The rule that decided a frame's fate. */
export type RxFilterRule =
  | 'runt'
  | 'promisc'
  | 'vlan-not-in-table'
  | 'nobcast'
  | 'broadcast'
  | 'nomulti'
  | 'allmulti'
  | 'multicast-overflow'
  | 'multicast-table'
  | 'multicast-not-in-table'
  | 'nouni'
  | 'alluni'
  | 'unicast-overflow'
  | 'device-mac'
  | 'unicast-table'
  | 'unicast-not-in-table';

/** Whether a frame passes, the rule that decided, and the clause behind it. */
export interface RxFilterVerdict {
  /** `accept`: deliver to the driver; `drop`: discard. */
  readonly kind: 'accept' | 'drop';
  /** The deciding rule. */
  readonly rule: RxFilterRule;
  /** Clause ID behind the rule, or `null` for the reference's own choices. */
  readonly clause: string | null;
}

function verdict(kind: 'accept' | 'drop', rule: RxFilterRule, clause: string | null): RxFilterVerdict {
  return Object.freeze({ kind, rule, clause });
}

// One frozen object per rule, so classifying a frame allocates nothing.
const V = {
  runt: verdict('drop', 'runt', null),
  promisc: verdict('accept', 'promisc', 'net.ctrl.rx.device.2'),
  vlan: verdict('drop', 'vlan-not-in-table', 'net.ctrl.vlan.device.3'),
  nobcast: verdict('drop', 'nobcast', 'net.ctrl.rx.device.12'),
  broadcast: verdict('accept', 'broadcast', 'net.ctrl.rx.device.9'),
  nomulti: verdict('drop', 'nomulti', 'net.ctrl.rx.device.7'),
  allmulti: verdict('accept', 'allmulti', 'net.ctrl.rx.device.4'),
  mcOverflow: verdict('accept', 'multicast-overflow', null),
  mcTable: verdict('accept', 'multicast-table', 'net.ctrl.mac.device.4'),
  mcMiss: verdict('drop', 'multicast-not-in-table', 'net.ctrl.mac.device.4'),
  nouni: verdict('drop', 'nouni', 'net.ctrl.rx.device.10'),
  alluni: verdict('accept', 'alluni', 'net.ctrl.rx.device.6'),
  ucOverflow: verdict('accept', 'unicast-overflow', null),
  deviceMac: verdict('accept', 'device-mac', 'net.ctrl.mac.device.4'),
  ucTable: verdict('accept', 'unicast-table', 'net.ctrl.mac.device.4'),
  ucMiss: verdict('drop', 'unicast-not-in-table', 'net.ctrl.mac.device.4'),
} as const;

/**
 * The filter's verdict on `frame` (an Ethernet frame, destination first) for
 * a device whose default MAC is `deviceMac` (config `mac`, or the one set
 * with MAC_ADDR_SET). Allocates nothing.
 */
export function rxFilterVerdict(state: RxFilterState, frame: Uint8Array, deviceMac: Uint8Array): RxFilterVerdict {
  if (frame.length < ETH_HLEN) return V.runt;
  const tagged = (((frame[12] as number) << 8) | (frame[13] as number)) === ETH_P_8021Q;
  if (tagged && frame.length < ETH_HLEN + 4) return V.runt;
  if (state.promisc) return V.promisc;
  if (tagged && state.vlanFiltering) {
    const vid = (((frame[14] as number) << 8) | (frame[15] as number)) & 0x0fff;
    if (!state.vlans.has(vid)) return V.vlan;
  }
  const dest = macToNumber(frame, 0);
  if (dest === BROADCAST_MAC) return state.nobcast ? V.nobcast : V.broadcast;
  if (isGroupMac(dest)) {
    if (state.nomulti) return V.nomulti;
    if (state.allmulti) return V.allmulti;
    if (state.multicastOverflow) return V.mcOverflow;
    return state.multicastTable.has(dest) ? V.mcTable : V.mcMiss;
  }
  if (state.nouni) return V.nouni;
  if (state.alluni) return V.alluni;
  if (state.unicastOverflow) return V.ucOverflow;
  if (dest === macToNumber(deviceMac, 0)) return V.deviceMac;
  return state.unicastTable.has(dest) ? V.ucTable : V.ucMiss;
}

/** True when {@link rxFilterVerdict} accepts the frame. */
export function rxFilterAccepts(state: RxFilterState, frame: Uint8Array, deviceMac: Uint8Array): boolean {
  return rxFilterVerdict(state, frame, deviceMac).kind === 'accept';
}
