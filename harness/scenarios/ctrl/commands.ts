/**
 * Control commands as Linux lays them out (linux-driver-facts §2.2, §2.3): the payload entries,
 * each one device-readable descriptor, for every command the ctrl scenarios send. Integers are
 * little-endian (VERSION_1). Built from the spec's structure layouts, not from the reference
 * front end's helpers.
 *
 * @module
 */

import * as C from '../../../specs/net/ctrl.js';
import type { CtrlRequest } from './ctrl-session.js';

/** `le16`. */
export function le16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

/** `le32`. */
export function le32(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/** Concatenation. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A receive-mode name, in command-number order (class VIRTIO_NET_CTRL_RX). */
export const RX_MODE_NAMES = ['promisc', 'allmulti', 'alluni', 'nomulti', 'nouni', 'nobcast'] as const;
/** One receive mode. */
export type RxModeName = (typeof RX_MODE_NAMES)[number];

/** VIRTIO_NET_CTRL_RX `mode` on/off (1-byte payload). */
export function rxModeCommand(mode: RxModeName, on: boolean): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_RX, command: RX_MODE_NAMES.indexOf(mode), data: [Uint8Array.of(on ? 1 : 0)] };
}

/** MAC_TABLE_SET in two descriptors, unicast table first (`net.ctrl.mac.driver.3`). */
export function macTableSetCommand(unicast: readonly Uint8Array[], multicast: readonly Uint8Array[]): CtrlRequest {
  const table = (list: readonly Uint8Array[]): Uint8Array => concatBytes(le32(list.length), ...list.map((m) => m.subarray(0, 6)));
  return { klass: C.VIRTIO_NET_CTRL_MAC, command: C.VIRTIO_NET_CTRL_MAC_TABLE_SET, data: [table(unicast), table(multicast)] };
}

/** MAC_ADDR_SET (6 bytes). */
export function macAddrSetCommand(mac: Uint8Array): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_MAC, command: C.VIRTIO_NET_CTRL_MAC_ADDR_SET, data: [mac.slice(0, 6)] };
}

/** VLAN_ADD / VLAN_DEL (`le16 vid`). */
export function vlanCommand(add: boolean, vid: number): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_VLAN, command: add ? C.VIRTIO_NET_CTRL_VLAN_ADD : C.VIRTIO_NET_CTRL_VLAN_DEL, data: [le16(vid)] };
}

/** ANNOUNCE_ACK (no payload). */
export function announceAckCommand(): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_ANNOUNCE, command: C.VIRTIO_NET_CTRL_ANNOUNCE_ACK };
}

/** VQ_PAIRS_SET (`le16 virtqueue_pairs`). */
export function vqPairsSetCommand(pairs: number): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_MQ, command: C.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, data: [le16(pairs)] };
}

/** An RSS configuration; queue numbers are 0-based receive queue pairs (`rss_rq_id`). */
export interface RssConfigSpec {
  readonly hashTypes: number;
  /** The indirection table; its length must be a power of two. */
  readonly table: readonly number[];
  readonly unclassifiedQueue: number;
  readonly maxTxVq: number;
  readonly key: Uint8Array;
}

/** RSS_CONFIG in Linux's four descriptors (head, table, max_tx_vq + key length, key). */
export function rssConfigCommand(rss: RssConfigSpec): CtrlRequest {
  const head = concatBytes(le32(rss.hashTypes), le16(rss.table.length - 1), le16(rss.unclassifiedQueue));
  const table = concatBytes(...rss.table.map(le16));
  const mid = concatBytes(le16(rss.maxTxVq), Uint8Array.of(rss.key.length));
  return { klass: C.VIRTIO_NET_CTRL_MQ, command: C.VIRTIO_NET_CTRL_MQ_RSS_CONFIG, data: [head, table, mid, rss.key] };
}

/** HASH_CONFIG (`virtio_net_hash_config`: hash_types, reserved[4], key length, key). */
export function hashConfigCommand(hashTypes: number, key: Uint8Array): CtrlRequest {
  return {
    klass: C.VIRTIO_NET_CTRL_MQ,
    command: C.VIRTIO_NET_CTRL_MQ_HASH_CONFIG,
    data: [concatBytes(le32(hashTypes), new Uint8Array(8), Uint8Array.of(key.length)), key],
  };
}

/** Coalescing parameters (`virtio_net_ctrl_coal`). */
export interface CoalParams {
  readonly maxPackets: number;
  readonly maxUsecs: number;
}

function coal(p: CoalParams): Uint8Array {
  return concatBytes(le32(p.maxPackets), le32(p.maxUsecs));
}

/** NOTF_COAL TX_SET / RX_SET. */
export function coalSetCommand(direction: 'tx' | 'rx', p: CoalParams): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_NOTF_COAL, command: direction === 'tx' ? C.VIRTIO_NET_CTRL_NOTF_COAL_TX_SET : C.VIRTIO_NET_CTRL_NOTF_COAL_RX_SET, data: [coal(p)] };
}

/** NOTF_COAL VQ_SET (`le16 vq_index, le16 reserved, coal`). */
export function coalVqSetCommand(vqIndex: number, p: CoalParams, reserved = 0): CtrlRequest {
  return { klass: C.VIRTIO_NET_CTRL_NOTF_COAL, command: C.VIRTIO_NET_CTRL_NOTF_COAL_VQ_SET, data: [concatBytes(le16(vqIndex), le16(reserved), coal(p))] };
}

/** NOTF_COAL VQ_GET (`le16 vq_index, le16 reserved`), with room for the 8-byte result. */
export function coalVqGetCommand(vqIndex: number): CtrlRequest {
  return {
    klass: C.VIRTIO_NET_CTRL_NOTF_COAL,
    command: C.VIRTIO_NET_CTRL_NOTF_COAL_VQ_GET,
    data: [concatBytes(le16(vqIndex), le16(0))],
    resultRoom: C.virtio_net_ctrl_coal.size,
  };
}

/** Reads a little-endian u32 out of `b` at `at`. */
export function readLe32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

/** Reads a little-endian u16 out of `b` at `at`. */
export function readLe16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}
