/**
 * Device statistics over the control queue (virtio 1.4, VIRTIO_NET_F_DEVICE_STATS).
 *
 * `types_bitmap` / `supported_stats_types` are le64 masks, held as `bigint`;
 * reply `type` values are small numbers (bit position of the mask bit).
 *
 * @module
 */

import {
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_TSO6,
  VIRTIO_NET_F_HOST_TSO4,
  VIRTIO_NET_F_HOST_TSO6,
  VIRTIO_NET_F_HOST_USO,
} from '../features/net.js';
import { ALWAYS, anyOf, feature, type Requirement } from '../features/requirement.js';
import { defineStruct, type StructLayout } from '../layout.js';

/** Control queue statistics (mask bit 32). */
export const VIRTIO_NET_STATS_TYPE_CVQ = 1n << 32n;
/** Basic receive statistics (mask bit 0). */
export const VIRTIO_NET_STATS_TYPE_RX_BASIC = 1n << 0n;
/** Receive checksum statistics (mask bit 1). */
export const VIRTIO_NET_STATS_TYPE_RX_CSUM = 1n << 1n;
/** Receive GSO statistics (mask bit 2). */
export const VIRTIO_NET_STATS_TYPE_RX_GSO = 1n << 2n;
/** Receive rate-limit statistics (mask bit 3). */
export const VIRTIO_NET_STATS_TYPE_RX_SPEED = 1n << 3n;
/** Basic transmit statistics (mask bit 16). */
export const VIRTIO_NET_STATS_TYPE_TX_BASIC = 1n << 16n;
/** Transmit checksum statistics (mask bit 17). */
export const VIRTIO_NET_STATS_TYPE_TX_CSUM = 1n << 17n;
/** Transmit GSO statistics (mask bit 18). */
export const VIRTIO_NET_STATS_TYPE_TX_GSO = 1n << 18n;
/** Transmit rate-limit statistics (mask bit 19). */
export const VIRTIO_NET_STATS_TYPE_TX_SPEED = 1n << 19n;

/** Reply `type` of a CVQ reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_CVQ = 32;
/** Reply `type` of an RX_BASIC reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_RX_BASIC = 0;
/** Reply `type` of an RX_CSUM reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_RX_CSUM = 1;
/** Reply `type` of an RX_GSO reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_RX_GSO = 2;
/** Reply `type` of an RX_SPEED reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_RX_SPEED = 3;
/** Reply `type` of a TX_BASIC reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_TX_BASIC = 16;
/** Reply `type` of a TX_CSUM reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_TX_CSUM = 17;
/** Reply `type` of a TX_GSO reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_TX_GSO = 18;
/** Reply `type` of a TX_SPEED reply. */
export const VIRTIO_NET_STATS_TYPE_REPLY_TX_SPEED = 19;

/** STATS_GET request element `virtio_net_ctrl_queue_stats` (16 bytes). */
export const virtio_net_ctrl_queue_stats: StructLayout<'vq_index' | 'reserved' | 'types_bitmap'> = defineStruct({
  vq_index: 2,
  reserved: 6,
  types_bitmap: 8,
});

/**
 * Reply header `virtio_net_stats_reply_hdr` (8 bytes); `size` counts the whole
 * reply including this header (`net.ctrl.stats.device.4`).
 */
export const virtio_net_stats_reply_hdr: StructLayout<'type' | 'reserved' | 'vq_index' | 'reserved1' | 'size'> = defineStruct({
  type: 1,
  reserved: 1,
  vq_index: 2,
  reserved1: 2,
  size: 2,
});

/** The queue kind a statistics type applies to (`net.ctrl.stats.driver.2`). */
export type StatsQueueKind = 'rx' | 'tx' | 'cvq';

/** One statistics reply type. */
export interface StatsTypeInfo {
  /** Short name, e.g. `rx_basic`. */
  readonly name: string;
  /** Bit in `types_bitmap`. */
  readonly mask: bigint;
  /** Reply header `type`. */
  readonly replyType: number;
  /** Which queues it may be requested for. */
  readonly queue: StatsQueueKind;
  /** Features without which requesting it gets ERR (`net.ctrl.stats.device.2`). */
  readonly requires: Requirement;
  /** Reply layout: the 8-byte header, then le64 counters. */
  readonly layout: StructLayout;
}

function reply(counters: readonly string[]): StructLayout {
  const fields: Record<string, number> = { type: 1, reserved: 1, vq_index: 2, reserved1: 2, size: 2 };
  for (const c of counters) fields[c] = 8;
  return defineStruct(fields);
}

function st(
  name: string,
  mask: bigint,
  replyType: number,
  queue: StatsQueueKind,
  requires: Requirement,
  counters: readonly string[],
): StatsTypeInfo {
  return Object.freeze({ name, mask, replyType, queue, requires, layout: reply(counters) });
}

/** Every statistics type with its reply layout (sizes 24, 56, 40, 24, 40, 56, 24, 24). */
export const STATS_TYPES: readonly StatsTypeInfo[] = Object.freeze([
  st('cvq', VIRTIO_NET_STATS_TYPE_CVQ, VIRTIO_NET_STATS_TYPE_REPLY_CVQ, 'cvq', ALWAYS, ['command_num', 'ok_num']),
  st('rx_basic', VIRTIO_NET_STATS_TYPE_RX_BASIC, VIRTIO_NET_STATS_TYPE_REPLY_RX_BASIC, 'rx', ALWAYS, [
    'rx_notifications',
    'rx_packets',
    'rx_bytes',
    'rx_interrupts',
    'rx_drops',
    'rx_drop_overruns',
  ]),
  st('rx_csum', VIRTIO_NET_STATS_TYPE_RX_CSUM, VIRTIO_NET_STATS_TYPE_REPLY_RX_CSUM, 'rx', feature(VIRTIO_NET_F_GUEST_CSUM), [
    'rx_csum_valid',
    'rx_needs_csum',
    'rx_csum_none',
    'rx_csum_bad',
  ]),
  st(
    'rx_gso',
    VIRTIO_NET_STATS_TYPE_RX_GSO,
    VIRTIO_NET_STATS_TYPE_REPLY_RX_GSO,
    'rx',
    anyOf(VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6),
    ['rx_gso_packets', 'rx_gso_bytes', 'rx_gso_packets_coalesced', 'rx_gso_bytes_coalesced'],
  ),
  st('rx_speed', VIRTIO_NET_STATS_TYPE_RX_SPEED, VIRTIO_NET_STATS_TYPE_REPLY_RX_SPEED, 'rx', ALWAYS, [
    'rx_packets_allowance_exceeded',
    'rx_bytes_allowance_exceeded',
  ]),
  st('tx_basic', VIRTIO_NET_STATS_TYPE_TX_BASIC, VIRTIO_NET_STATS_TYPE_REPLY_TX_BASIC, 'tx', ALWAYS, [
    'tx_notifications',
    'tx_packets',
    'tx_bytes',
    'tx_interrupts',
    'tx_drops',
    'tx_drop_malformed',
  ]),
  st('tx_csum', VIRTIO_NET_STATS_TYPE_TX_CSUM, VIRTIO_NET_STATS_TYPE_REPLY_TX_CSUM, 'tx', feature(VIRTIO_NET_F_CSUM), [
    'tx_csum_none',
    'tx_needs_csum',
  ]),
  st(
    'tx_gso',
    VIRTIO_NET_STATS_TYPE_TX_GSO,
    VIRTIO_NET_STATS_TYPE_REPLY_TX_GSO,
    'tx',
    anyOf(VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_USO),
    ['tx_gso_packets', 'tx_gso_bytes', 'tx_gso_segments', 'tx_gso_segments_bytes', 'tx_gso_packets_noseg', 'tx_gso_bytes_noseg'],
  ),
  st('tx_speed', VIRTIO_NET_STATS_TYPE_TX_SPEED, VIRTIO_NET_STATS_TYPE_REPLY_TX_SPEED, 'tx', ALWAYS, [
    'tx_packets_allowance_exceeded',
    'tx_bytes_allowance_exceeded',
  ]),
]);

/** The statistics type for a reply `type` value, or `undefined`. */
export function statsTypeByReply(replyType: number): StatsTypeInfo | undefined {
  return STATS_TYPES.find((s) => s.replyType === replyType);
}
