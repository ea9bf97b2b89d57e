/**
 * Device status field bits, virtio 1.4 section 2.1.
 *
 * @module
 */

import type { SpecVersion } from './version.js';

/** Written as the whole status: resets the device; the device reads 0 once reset is done (`reset.device.1`, `reset.driver.1`). */
export const VIRTIO_CONFIG_S_RESET = 0;
/** The guest found the device (`init.driver.1a`). */
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
/** The guest knows how to drive the device (`init.driver.1a`). */
export const VIRTIO_CONFIG_S_DRIVER = 2;
/** The driver is set up and the device is live (`init.driver.4b`). */
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
/** Feature negotiation is complete; a device refusing the subset leaves it clear (`features.device.3`, `init.driver.4a`). */
export const VIRTIO_CONFIG_S_FEATURES_OK = 8;
/** Since 1.4, with VIRTIO_F_SUSPEND: the driver asks the device to suspend (`suspend.driver.1`..`suspend.device.8`). */
export const VIRTIO_CONFIG_S_SUSPEND = 16;
/** The device hit an error only a reset clears (`status.device.2`, `status.device.3`). */
export const VIRTIO_CONFIG_S_NEEDS_RESET = 64;
/** Spec spelling of {@link VIRTIO_CONFIG_S_NEEDS_RESET} (`DEVICE_NEEDS_RESET`). */
export const VIRTIO_CONFIG_S_DEVICE_NEEDS_RESET = VIRTIO_CONFIG_S_NEEDS_RESET;
/** The driver gave up on the device (`init.driver.5`, `status.driver.3`). */
export const VIRTIO_CONFIG_S_FAILED = 128;

/** One defined status bit. */
export interface StatusBitInfo {
  /** Short spec name, e.g. `DRIVER_OK`. */
  readonly name: string;
  /** Bit value (a power of two). */
  readonly value: number;
  /** `'1.4'` for SUSPEND, `'1.2'` for the rest. */
  readonly since: SpecVersion;
}

/** Every defined status bit, ascending. 0x20 is not defined. */
export const STATUS_BITS: readonly StatusBitInfo[] = Object.freeze(
  (
    [
      ['ACKNOWLEDGE', VIRTIO_CONFIG_S_ACKNOWLEDGE, '1.2'],
      ['DRIVER', VIRTIO_CONFIG_S_DRIVER, '1.2'],
      ['DRIVER_OK', VIRTIO_CONFIG_S_DRIVER_OK, '1.2'],
      ['FEATURES_OK', VIRTIO_CONFIG_S_FEATURES_OK, '1.2'],
      ['SUSPEND', VIRTIO_CONFIG_S_SUSPEND, '1.4'],
      ['DEVICE_NEEDS_RESET', VIRTIO_CONFIG_S_NEEDS_RESET, '1.2'],
      ['FAILED', VIRTIO_CONFIG_S_FAILED, '1.2'],
    ] as const
  ).map(([name, value, since]) => Object.freeze({ name, value, since })),
);

/** Mask of every defined status bit (0xDF: everything except 0x20). */
export const STATUS_DEFINED_MASK: number = STATUS_BITS.reduce((m, b) => m | b.value, 0);

/**
 * Names of the bits set in a status byte, ascending; undefined bits appear as
 * `bit5` (0x20). Only the low 8 bits are considered.
 */
export function statusBitNames(value: number): readonly string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 8; bit++) {
    const mask = 1 << bit;
    if ((value & mask) === 0) continue;
    names.push(STATUS_BITS.find((b) => b.value === mask)?.name ?? `bit${bit}`);
  }
  return names;
}

/**
 * A status byte for logs and reports, e.g. `0x0f ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK`,
 * or `0x00 RESET`.
 */
export function describeStatus(value: number): string {
  const byte = value & 0xff;
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte === 0 ? `${hex} RESET` : `${hex} ${statusBitNames(byte).join('|')}`;
}
