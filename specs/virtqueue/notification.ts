/**
 * Notification decisions and driver notification data: the event-index test
 * of virtio-queue.h / Linux `vring_need_event`, its packed-ring variant, and
 * the 32-bit NOTIFICATION_DATA value (virtio 1.4 sections 2.7.7, 2.7.10,
 * 2.8.10, 2.9).
 *
 * @module
 */

import { eventOff, eventWrap } from './packed.js';

/**
 * The event-index test, exactly as virtio-queue.h and Linux
 * `include/uapi/linux/virtio_ring.h`:
 * `(u16)(new − event − 1) < (u16)(new − old)`.
 *
 * True when moving an index from `oldIdx` to `newIdx` crosses `event`, that
 * is, when `event` lies in the half-open window [old, new) modulo 2^16. The
 * driver uses it with `avail_event` for kicks (`split.asupp.driver.6`); the
 * device uses it with `used_event` for used-buffer notifications
 * (`split.usupp.device.5`).
 */
export function vring_need_event(event: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

/**
 * Packed-ring form of the event test with RING_EVENT_FLAGS_DESC: `offWrap`
 * is the other side's `desc` field, `wrap` the caller's current wrap
 * counter, `newIdx`/`oldIdx` ring offsets (0..num−1) after and before the
 * batch being published. An event offset from the other lap is moved back
 * by `num` before the wrap-safe test, as Linux `virtqueue_kick_prepare_packed`
 * and QEMU `vring_packed_need_event` do (`packed.evsupp.any.2.driver`,
 * `packed.evsupp.any.2.device`).
 */
export function vring_packed_need_event(
  offWrap: number,
  wrap: number,
  num: number,
  newIdx: number,
  oldIdx: number,
): boolean {
  let event = eventOff(offWrap);
  if (eventWrap(offWrap) !== wrap) event -= num;
  return vring_need_event(event, newIdx, oldIdx);
}

/** The fields of a 32-bit driver notification with VIRTIO_F_NOTIFICATION_DATA. */
export interface NotificationData {
  /** Bits 0–15: the virtqueue index, or `queue_notif_config_data` with VIRTIO_F_NOTIF_CONFIG_DATA. */
  readonly vqIndex: number;
  /** Bits 16–30: offset of the next available entry (split: avail idx mod 2^15; packed: ring slot). */
  readonly nextOff: number;
  /** Bit 31: split: bit 15 of avail idx; packed: the driver wrap counter. */
  readonly nextWrap: number;
}

/**
 * Encodes the 32-bit notification value (as an unsigned number)
 * (`pci.availnotif.driver.2`, `packed.notify.driver.1`).
 */
export function encodeNotificationData(data: NotificationData): number {
  return ((data.vqIndex & 0xffff) | ((data.nextOff & 0x7fff) << 16) | ((data.nextWrap & 1) << 31)) >>> 0;
}

/** Decodes a 32-bit notification value into its fields. */
export function decodeNotificationData(value: number): NotificationData {
  return {
    vqIndex: value & 0xffff,
    nextOff: (value >>> 16) & 0x7fff,
    nextWrap: (value >>> 31) & 1,
  };
}

/**
 * Notification value for a split ring: next_off/next_wrap are the low 15
 * bits and bit 15 of the avail idx the driver just published.
 */
export function splitNotificationData(vqIndex: number, availIdx: number): number {
  return encodeNotificationData({ vqIndex, nextOff: availIdx & 0x7fff, nextWrap: (availIdx >>> 15) & 1 });
}

/**
 * Notification value for a packed ring: next_off is the ring slot of the next
 * descriptor the driver will make available, next_wrap its wrap counter
 * (`packed.notify.driver.1`).
 */
export function packedNotificationData(vqIndex: number, nextSlot: number, wrap: number): number {
  return encodeNotificationData({ vqIndex, nextOff: nextSlot, nextWrap: wrap });
}
