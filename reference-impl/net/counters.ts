/**
 * What the net device did, as numbers: packets, bytes and drops per
 * direction and per reason, control commands, config accesses, and the
 * per-virtqueue counters a DEVICE_STATS reply is built from (facts.md §7.5).
 *
 * Counters only grow; a device reset does not clear them (they count over
 * the life of the device object, like the core's `DeviceCounters`).
 *
 * @module
 */

/**
 * Why a transmit chain was consumed without a frame leaving on the wire.
 *
 * - `header-short`: fewer readable bytes than the negotiated header (bugs D15, D21).
 * - `frame-empty`: the chain holds the header and nothing else.
 * - `frame-runt`: less than an Ethernet header (14 bytes) after the virtio header.
 * - `flags-not-negotiated`: NEEDS_CSUM without CSUM (`net.tx.driver.3`),
 *   UDP_TUNNEL_CSUM without HOST_UDP_TUNNEL_GSO_CSUM (`net.tx.driver.22`),
 *   SECURITY without IPSEC.
 * - `flags-rx-only`: DATA_VALID or RSC_INFO on transmit (`net.tx.driver.45`).
 * - `csum-out-of-range`: `csum_start + csum_offset + 2` beyond the frame (bug D16, `net.tx.driver.30`).
 * - `gso-type-unknown`: a `gso_type` base value the spec does not define.
 * - `gso-not-negotiated`: a GSO type or bit without its HOST_* feature (`net.tx.driver.7` … `.17`).
 * - `gso-without-csum`: GSO without NEEDS_CSUM (`net.tx.driver.32`).
 * - `gso-size-zero`: GSO with `gso_size` 0 (`net.tx.driver.33`).
 * - `tunnel-invalid`: tunnel bits broken (`net.tx.device.8`, `.10`, `.11`, `net.tx.driver.24`).
 * - `exceeds-mtu`: a non-GSO frame above mtu + 14 with MTU negotiated (`net.cfg.driver.9`).
 * - `num-buffers-nonzero`: `num_buffers` ≠ 0 when the policy drops such frames (`net.tx.driver.2`).
 * - `link-down`: the link is down; the frame is consumed and lost, as QEMU does.
 */
export type TxDropReason =
  | 'header-short'
  | 'frame-empty'
  | 'frame-runt'
  | 'flags-not-negotiated'
  | 'flags-rx-only'
  | 'csum-out-of-range'
  | 'gso-type-unknown'
  | 'gso-not-negotiated'
  | 'gso-without-csum'
  | 'gso-size-zero'
  | 'tunnel-invalid'
  | 'exceeds-mtu'
  | 'num-buffers-nonzero'
  | 'link-down';

/** Every {@link TxDropReason}, in declaration order. */
export const TX_DROP_REASONS: readonly TxDropReason[] = Object.freeze([
  'header-short',
  'frame-empty',
  'frame-runt',
  'flags-not-negotiated',
  'flags-rx-only',
  'csum-out-of-range',
  'gso-type-unknown',
  'gso-not-negotiated',
  'gso-without-csum',
  'gso-size-zero',
  'tunnel-invalid',
  'exceeds-mtu',
  'num-buffers-nonzero',
  'link-down',
]);

/**
 * Why a frame from the wire was not delivered to the driver.
 *
 * - `not-live`: the device is not running (before DRIVER_OK, after reset or DEVICE_NEEDS_RESET).
 * - `link-down`: the link is down.
 * - `exceeds-mtu`: a non-GSO frame above mtu + 14 with MTU negotiated (`net.cfg.device.5`).
 * - `filtered`: the RX filter (mode, MAC table, VLAN table) refused it.
 * - `offload-not-enabled`: a GSO frame whose GUEST_* feature is not negotiated or is
 *   switched off (`net.rx.device.7` … `.12`); the reference device does not segment.
 * - `no-queue`: no receive queue of an active pair is usable (`net.ctrl.mq.device.4`).
 * - `queue-reset`: RSS steered to a queue that is being reset (`net.ctrl.rss.device.2`).
 * - `no-buffers`: not enough receive buffers for the frame.
 * - `buffer-too-small`: without MRG_RXBUF the next buffer cannot hold header and frame;
 *   the frame is dropped and the buffer kept for a later frame (bug D2, `net.rxbuf.device.2`).
 * - `ring-error`: the receive ring is broken (the device set DEVICE_NEEDS_RESET).
 */
export type RxDropReason =
  | 'not-live'
  | 'link-down'
  | 'exceeds-mtu'
  | 'filtered'
  | 'offload-not-enabled'
  | 'no-queue'
  | 'queue-reset'
  | 'no-buffers'
  | 'buffer-too-small'
  | 'ring-error';

/** Every {@link RxDropReason}, in declaration order. */
export const RX_DROP_REASONS: readonly RxDropReason[] = Object.freeze([
  'not-live',
  'link-down',
  'exceeds-mtu',
  'filtered',
  'offload-not-enabled',
  'no-queue',
  'queue-reset',
  'no-buffers',
  'buffer-too-small',
  'ring-error',
]);

/**
 * Counters of one virtqueue, named after the DEVICE_STATS reply fields
 * (`rx_basic`, `tx_basic`, `rx_csum`, `tx_csum`, `rx_gso`, `tx_gso`).
 */
export interface NetQueueCounters {
  /** Available-buffer notifications received for the queue. */
  notifications: number;
  /** Used-buffer notifications raised for the queue. */
  interrupts: number;
  /** Frames delivered (rx) or sent to the wire (tx). */
  packets: number;
  /** Frame bytes (without the virtio header) of those. */
  bytes: number;
  /** Frames dropped. */
  drops: number;
  /** rx: dropped for lack of buffers (`rx_drop_overruns`). */
  dropOverruns: number;
  /** tx: dropped as malformed (`tx_drop_malformed`). */
  dropMalformed: number;
  /** rx: DATA_VALID set; tx: unused. */
  csumValid: number;
  /** rx: NEEDS_CSUM set; tx: NEEDS_CSUM requested and completed by the device. */
  needsCsum: number;
  /** Frames with neither checksum flag. */
  csumNone: number;
  /** GSO frames. */
  gsoPackets: number;
  /** Bytes of GSO frames. */
  gsoBytes: number;
}

/** Fresh all-zero queue counters. */
export function newNetQueueCounters(): NetQueueCounters {
  return {
    notifications: 0,
    interrupts: 0,
    packets: 0,
    bytes: 0,
    drops: 0,
    dropOverruns: 0,
    dropMalformed: 0,
    csumValid: 0,
    needsCsum: 0,
    csumNone: 0,
    gsoPackets: 0,
    gsoBytes: 0,
  };
}

/** Counters of the whole net device. */
export interface NetCounters {
  /** Frames sent to the wire. */
  txPackets: number;
  /** Their frame bytes. */
  txBytes: number;
  /** Transmit chains consumed without a frame on the wire. */
  txDrops: number;
  /** `txDrops` by reason. */
  readonly txDropReasons: Record<TxDropReason, number>;
  /** Transmit headers with `num_buffers` ≠ 0 (accepted or dropped per policy, `net.tx.driver.2`). */
  txNumBuffersNonzero: number;
  /** Frames taken from a transmitq beyond the pairs in use (sent anyway, `net.ctrl.mq.driver.3`, `.4`). */
  txInactiveQueue: number;
  /** Frames delivered to the driver. */
  rxPackets: number;
  /** Their frame bytes. */
  rxBytes: number;
  /** Frames from the wire not delivered. */
  rxDrops: number;
  /** `rxDrops` by reason. */
  readonly rxDropReasons: Record<RxDropReason, number>;
  /** Receive buffers (chains) used. */
  rxBuffersUsed: number;
  /** Frames that took more than one buffer (MRG_RXBUF). */
  rxMerged: number;
  /** Frames delivered into a one-segment buffer without MRG_RXBUF ("small" mode). */
  rxSmallMode: number;
  /** Frames delivered into a multi-segment buffer without MRG_RXBUF ("big" mode). */
  rxBigMode: number;
  /** Frames delivered with MRG_RXBUF. */
  rxMergeableMode: number;
  /** Receive buffers returned unused (used len 0) because they cannot hold a header (`net.rxbuf.driver.3`). */
  rxBuffersUnusable: number;
  /** Steering answers outside the active pairs, corrected to an active pair (bug D8). */
  rxSteerCorrected: number;
  /** Frames re-steered away from a receive queue that was not usable (`net.ctrl.mq.device.3`). */
  rxResteered: number;
  /** Control commands answered. */
  ctrlCommands: number;
  /** Of those, answered VIRTIO_NET_OK. */
  ctrlOk: number;
  /** Of those, answered VIRTIO_NET_ERR. */
  ctrlErr: number;
  /** Control chains too short for class and command (answered ERR). */
  ctrlMalformed: number;
  /** Control chains with no writable byte for the ack (DEVICE_NEEDS_RESET). */
  ctrlNoAck: number;
  /** Driver writes to the read-only config space, ignored (`net.cfg.driver.1`). */
  configWritesIgnored: number;
  /** Config reads of a field whose feature is not offered (`config.driver.3`). */
  configReadsUndefined: number;
  /** Notifications for a queue index with no role under the negotiated features. */
  notificationsUnknownQueue: number;
  /** Per-virtqueue counters, by virtqueue index (as many as `num_queues`). */
  readonly queues: readonly NetQueueCounters[];
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

/** Fresh all-zero counters for a device with `numQueues` virtqueues. */
export function newNetCounters(numQueues: number): NetCounters {
  return {
    txPackets: 0,
    txBytes: 0,
    txDrops: 0,
    txDropReasons: zeroes(TX_DROP_REASONS),
    txNumBuffersNonzero: 0,
    txInactiveQueue: 0,
    rxPackets: 0,
    rxBytes: 0,
    rxDrops: 0,
    rxDropReasons: zeroes(RX_DROP_REASONS),
    rxBuffersUsed: 0,
    rxMerged: 0,
    rxSmallMode: 0,
    rxBigMode: 0,
    rxMergeableMode: 0,
    rxBuffersUnusable: 0,
    rxSteerCorrected: 0,
    rxResteered: 0,
    ctrlCommands: 0,
    ctrlOk: 0,
    ctrlErr: 0,
    ctrlMalformed: 0,
    ctrlNoAck: 0,
    configWritesIgnored: 0,
    configReadsUndefined: 0,
    notificationsUnknownQueue: 0,
    queues: Array.from({ length: numQueues }, newNetQueueCounters),
  };
}
