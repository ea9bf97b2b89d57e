/**
 * Split virtqueue layout, virtio 1.4 section 2.7: `struct virtq_desc`,
 * `struct virtq_avail`, `struct virtq_used`, their flags, alignments, area
 * sizes and the queue-size rule.
 *
 * Pure constants and functions: the reference ring engine and the
 * independent ring observers both read the ring through these.
 *
 * @module
 */

import { defineStruct, type StructLayout } from '../layout.js';

/** Largest queue size of either ring format (2.7, 2.8: 32768). */
export const VIRTQ_MAX_SIZE = 32768;

/** Descriptor flag: the buffer continues in the `next` field (split) or the next ring slot (packed). */
export const VIRTQ_DESC_F_NEXT = 1;
/** Descriptor flag: the buffer is device-writable (otherwise device-readable). */
export const VIRTQ_DESC_F_WRITE = 2;
/** Descriptor flag: the buffer holds a table of indirect descriptors (`split.indirect.driver.1`). */
export const VIRTQ_DESC_F_INDIRECT = 4;

/** `avail->flags` bit: the driver does not want used-buffer notifications (`split.usupp.driver.2`). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Linux spelling of {@link VIRTQ_AVAIL_F_NO_INTERRUPT}. */
export const VRING_AVAIL_F_NO_INTERRUPT = VIRTQ_AVAIL_F_NO_INTERRUPT;
/** `used->flags` bit: the device does not want available-buffer notifications (`split.asupp.device.2`). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** Linux spelling of {@link VIRTQ_USED_F_NO_NOTIFY}. */
export const VRING_USED_F_NO_NOTIFY = VIRTQ_USED_F_NO_NOTIFY;

/** Alignment of the descriptor table in bytes (`split.layout.driver.1`). */
export const VIRTQ_DESC_ALIGN = 16;
/** Alignment of the available ring (driver area) in bytes (`split.layout.driver.1`). */
export const VIRTQ_AVAIL_ALIGN = 2;
/** Alignment of the used ring (device area) in bytes (`split.layout.driver.1`). */
export const VIRTQ_USED_ALIGN = 4;

/** Field names of {@link virtq_desc}. */
export type VirtqDescField = 'addr' | 'len' | 'flags' | 'next';

/** `struct virtq_desc` (16 bytes): `le64 addr; le32 len; le16 flags; le16 next`. */
export const virtq_desc: StructLayout<VirtqDescField> = defineStruct({ addr: 8, len: 4, flags: 2, next: 2 });

/** Size of one split descriptor in bytes; also the size of one indirect-table entry. */
export const VIRTQ_DESC_SIZE = 16;

/** Field names of the fixed header of {@link virtq_avail}. */
export type VirtqAvailField = 'flags' | 'idx';

/**
 * Fixed header of `struct virtq_avail`: `le16 flags; le16 idx`. The ring
 * (`le16 ring[Q]`) starts at {@link VIRTQ_AVAIL_RING_OFFSET} and
 * `used_event` follows it ({@link virtqAvailUsedEventOffset}).
 */
export const virtq_avail: StructLayout<VirtqAvailField> = defineStruct({ flags: 2, idx: 2 });

/** Offset of `avail->ring[0]` from the start of the available ring. */
export const VIRTQ_AVAIL_RING_OFFSET = 4;

/** Field names of {@link virtq_used_elem}. */
export type VirtqUsedElemField = 'id' | 'len';

/** `struct virtq_used_elem` (8 bytes): `le32 id; le32 len`. */
export const virtq_used_elem: StructLayout<VirtqUsedElemField> = defineStruct({ id: 4, len: 4 });

/** Field names of the fixed header of {@link virtq_used}. */
export type VirtqUsedField = 'flags' | 'idx';

/**
 * Fixed header of `struct virtq_used`: `le16 flags; le16 idx`. The ring of
 * {@link virtq_used_elem} starts at {@link VIRTQ_USED_RING_OFFSET} and
 * `avail_event` follows it ({@link virtqUsedAvailEventOffset}).
 */
export const virtq_used: StructLayout<VirtqUsedField> = defineStruct({ flags: 2, idx: 2 });

/** Offset of `used->ring[0]` from the start of the used ring. */
export const VIRTQ_USED_RING_OFFSET = 4;

/** Bytes of the descriptor table for queue size `q`: 16·Q (`split.layout.driver.1`). */
export function virtqDescTableSize(q: number): number {
  return VIRTQ_DESC_SIZE * q;
}

/** Bytes of the available ring for queue size `q`, `used_event` included: 6 + 2·Q (`split.layout.driver.1`). */
export function virtqAvailRingSize(q: number): number {
  return 6 + 2 * q;
}

/** Bytes of the used ring for queue size `q`, `avail_event` included: 6 + 8·Q (`split.layout.driver.1`). */
export function virtqUsedRingSize(q: number): number {
  return 6 + 8 * q;
}

/** Offset of `avail->ring[slot]` from the start of the available ring. */
export function virtqAvailRingEntryOffset(slot: number): number {
  return VIRTQ_AVAIL_RING_OFFSET + 2 * slot;
}

/** Offset of `used_event` (`avail->ring[Q]`) for queue size `q` (`split.usupp.driver.4`). */
export function virtqAvailUsedEventOffset(q: number): number {
  return VIRTQ_AVAIL_RING_OFFSET + 2 * q;
}

/** Offset of `used->ring[slot]` from the start of the used ring. */
export function virtqUsedRingEntryOffset(slot: number): number {
  return VIRTQ_USED_RING_OFFSET + virtq_used_elem.size * slot;
}

/** Offset of `avail_event` (after `used->ring[Q]`) for queue size `q` (`split.asupp.device.4`). */
export function virtqUsedAvailEventOffset(q: number): number {
  return VIRTQ_USED_RING_OFFSET + virtq_used_elem.size * q;
}

/**
 * The split queue-size rule: a power of 2 from 1 to 32768. 0 means "queue
 * unavailable" and is not a usable size (`pci.common.device.15`,
 * `pci.common.driver.3`).
 */
export function isValidSplitQueueSize(q: number): boolean {
  return Number.isInteger(q) && q >= 1 && q <= VIRTQ_MAX_SIZE && (q & (q - 1)) === 0;
}

/** Rounds `n` up to a multiple of `align` (a power of 2). */
function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/**
 * Legacy interface: bytes of the single contiguous ring block,
 * `ALIGN(16·Q + 2·(3+Q)) + ALIGN(2·3 + 8·Q)` with `queueAlign` = 4096 on PCI
 * (`split.legacy.driver.2`).
 */
export function virtqLegacyRingSize(q: number, queueAlign = 4096): number {
  return alignUp(VIRTQ_DESC_SIZE * q + 2 * (3 + q), queueAlign) + alignUp(2 * 3 + 8 * q, queueAlign);
}

/**
 * Legacy interface: offset of the used ring inside the contiguous block,
 * right after the descriptor table and available ring padded to `queueAlign`
 * (`split.legacy.any.1.device`).
 */
export function virtqLegacyUsedOffset(q: number, queueAlign = 4096): number {
  return alignUp(VIRTQ_DESC_SIZE * q + 2 * (3 + q), queueAlign);
}
