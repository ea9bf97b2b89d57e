/**
 * Packed virtqueue layout, virtio 1.4 section 2.8: `struct pvirtq_desc`,
 * the AVAIL/USED flags and wrap counters, `struct pvirtq_event_suppress`
 * with its flags and off/wrap packing, and the queue-size rule.
 *
 * The flags NEXT, WRITE and INDIRECT have the same values as for the split
 * ring and live in `split.ts` (`VIRTQ_DESC_F_NEXT` etc.).
 *
 * @module
 */

import { defineStruct, type StructLayout } from '../layout.js';
import { VIRTQ_MAX_SIZE } from './split.js';

/** Bit number of the AVAIL flag in `pvirtq_desc.flags` (Linux `VRING_PACKED_DESC_F_AVAIL`). */
export const VIRTQ_DESC_F_AVAIL_BIT = 7;
/** Bit number of the USED flag in `pvirtq_desc.flags` (Linux `VRING_PACKED_DESC_F_USED`). */
export const VIRTQ_DESC_F_USED_BIT = 15;
/** AVAIL flag (0x80): equals the driver wrap counter in an available descriptor (`packed.wrap.driver.1`). */
export const VIRTQ_DESC_F_AVAIL = 1 << VIRTQ_DESC_F_AVAIL_BIT;
/** USED flag (0x8000): equals the device wrap counter in a used descriptor (`packed.wrap.device.1`). */
export const VIRTQ_DESC_F_USED = 1 << VIRTQ_DESC_F_USED_BIT;

/** Alignment of the packed descriptor ring in bytes (`packed.layout.driver.1`). */
export const PVIRTQ_DESC_ALIGN = 16;
/** Alignment of each event suppression area in bytes (`packed.layout.driver.1`). */
export const PVIRTQ_EVENT_SUPPRESS_ALIGN = 4;

/** Field names of {@link pvirtq_desc}. */
export type PvirtqDescField = 'addr' | 'len' | 'id' | 'flags';

/** `struct pvirtq_desc` (16 bytes): `le64 addr; le32 len; le16 id; le16 flags`. */
export const pvirtq_desc: StructLayout<PvirtqDescField> = defineStruct({ addr: 8, len: 4, id: 2, flags: 2 });

/** Size of one packed descriptor (and of one packed indirect-table entry) in bytes. */
export const PVIRTQ_DESC_SIZE = 16;

/** Field names of {@link pvirtq_event_suppress}. */
export type PvirtqEventSuppressField = 'desc' | 'flags';

/**
 * `struct pvirtq_event_suppress` (4 bytes): `le16 desc` (bits 0–14
 * `desc_event_off`, bit 15 `desc_event_wrap`) and `le16 flags` (bits 0–1
 * `desc_event_flags`, the rest reserved 0). The device area holds the
 * device's copy (it suppresses driver notifications); the driver area holds
 * the driver's (it suppresses device notifications). Linux calls `desc`
 * `off_wrap`.
 */
export const pvirtq_event_suppress: StructLayout<PvirtqEventSuppressField> = defineStruct({ desc: 2, flags: 2 });

/** `desc_event_flags`: notifications enabled (`packed.evsupp.any.1.device`). */
export const RING_EVENT_FLAGS_ENABLE = 0x0;
/** `desc_event_flags`: notifications disabled (`packed.evsupp.any.1.device`). */
export const RING_EVENT_FLAGS_DISABLE = 0x1;
/** `desc_event_flags`: notify at the descriptor named by off/wrap; only with VIRTIO_F_EVENT_IDX (`packed.evsupp.any.1.device`). */
export const RING_EVENT_FLAGS_DESC = 0x2;
/** Mask of `desc_event_flags` inside the `flags` field; value 3 is reserved. */
export const RING_EVENT_FLAGS_MASK = 0x3;
/** Linux spelling of {@link RING_EVENT_FLAGS_ENABLE}. */
export const VRING_PACKED_EVENT_FLAG_ENABLE = RING_EVENT_FLAGS_ENABLE;
/** Linux spelling of {@link RING_EVENT_FLAGS_DISABLE}. */
export const VRING_PACKED_EVENT_FLAG_DISABLE = RING_EVENT_FLAGS_DISABLE;
/** Linux spelling of {@link RING_EVENT_FLAGS_DESC}. */
export const VRING_PACKED_EVENT_FLAG_DESC = RING_EVENT_FLAGS_DESC;
/** Bit of the wrap counter in the packed `desc`/off_wrap field (Linux `VRING_PACKED_EVENT_F_WRAP_CTR`). */
export const VRING_PACKED_EVENT_F_WRAP_CTR = 15;

/** Packs a descriptor offset (0..32767) and a wrap counter (0/1) into the 16-bit `desc` field. */
export function packEventOffWrap(off: number, wrap: number): number {
  return (off & 0x7fff) | ((wrap & 1) << VRING_PACKED_EVENT_F_WRAP_CTR);
}

/** `desc_event_off` from a 16-bit `desc` (off_wrap) value. */
export function eventOff(offWrap: number): number {
  return offWrap & 0x7fff;
}

/** `desc_event_wrap` (0/1) from a 16-bit `desc` (off_wrap) value. */
export function eventWrap(offWrap: number): number {
  return (offWrap >>> VRING_PACKED_EVENT_F_WRAP_CTR) & 1;
}

/** Bytes of the packed descriptor ring for queue size `q`: 16·Q (`packed.layout.driver.1`). */
export function pvirtqDescRingSize(q: number): number {
  return PVIRTQ_DESC_SIZE * q;
}

/** Bytes of each event suppression area, independent of the queue size (`packed.layout.driver.1`). */
export const PVIRTQ_EVENT_SUPPRESS_SIZE = 4;

/**
 * The packed queue-size rule: any integer from 1 to 32768; no power-of-2
 * requirement (`packed.layout.driver.1`, `pci.common.driver.2`). Note that
 * the Linux modern PCI transport still rejects non-powers of 2.
 */
export function isValidPackedQueueSize(q: number): boolean {
  return Number.isInteger(q) && q >= 1 && q <= VIRTQ_MAX_SIZE;
}

/**
 * True when a descriptor's flags mark it available for a reader whose wrap
 * counter is `wrap`: AVAIL = wrap and USED = !wrap (`packed.wrap.driver.1`).
 */
export function isPackedDescAvailable(flags: number, wrap: number): boolean {
  return ((flags >>> VIRTQ_DESC_F_AVAIL_BIT) & 1) === wrap && ((flags >>> VIRTQ_DESC_F_USED_BIT) & 1) !== wrap;
}

/**
 * True when a descriptor's flags mark it used for a reader whose wrap counter
 * is `wrap`: AVAIL = USED = wrap (`packed.wrap.device.1`).
 */
export function isPackedDescUsed(flags: number, wrap: number): boolean {
  const avail = (flags >>> VIRTQ_DESC_F_AVAIL_BIT) & 1;
  return avail === ((flags >>> VIRTQ_DESC_F_USED_BIT) & 1) && avail === wrap;
}
