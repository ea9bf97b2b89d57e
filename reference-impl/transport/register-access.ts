/**
 * The register seam a driver (front end) uses, one small interface per
 * transport. The reference models implement them synchronously; a QEMU
 * qtest adapter can implement the same shape with promises (the front end
 * `await`s every call, which is harmless on a plain value).
 *
 * Only what a real device exposes crosses this seam: register accesses,
 * interrupts (here) and guest memory plus the wire (elsewhere).
 *
 * @module
 */

import type { AccessWidth } from '../device/backend.js';

export type { AccessWidth } from '../device/backend.js';

/** A value, or a promise of it, so that sync and async implementations share one interface. */
export type MaybePromise<T> = T | Promise<T>;

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * An interrupt from a virtio-pci function.
 *
 * - `msix`: an MSI-X message: the vector and the address/data the driver
 *   programmed into that table entry.
 * - `intx`: the INTx line changed level (asserted on the first pending ISR
 *   bit, deasserted by the ISR read that clears it, `pci.isr.device.5`).
 */
export type PciInterrupt =
  | {
      readonly kind: 'msix';
      readonly vector: number;
      readonly addressLo: number;
      readonly addressHi: number;
      readonly data: number;
    }
  | { readonly kind: 'intx'; readonly asserted: boolean };

/** An interrupt line change of a virtio-mmio device: asserted while InterruptStatus is non-zero. */
export interface MmioInterrupt {
  readonly kind: 'line';
  readonly asserted: boolean;
  /** InterruptStatus at the time of the change. */
  readonly interruptStatus: number;
}

/**
 * Register access to one virtio-pci function: its PCI configuration space
 * and its memory BARs, addressed by BAR number and offset (BAR base
 * addresses are programmable but not needed to reach a region).
 * Widths are 1, 2 or 4 bytes; 64-bit fields are accessed as two halves
 * (`pci.layout.driver.1`, `pci.layout.device.1`).
 */
export interface PciRegisterAccess {
  /** Reads `width` bytes of PCI configuration space at `offset`. */
  readConfig(offset: number, width: AccessWidth): MaybePromise<number>;
  /** Writes `width` bytes of PCI configuration space at `offset`. */
  writeConfig(offset: number, width: AccessWidth, value: number): MaybePromise<void>;
  /** Reads `width` bytes at `offset` in memory BAR `bar`. */
  readBar(bar: number, offset: number, width: AccessWidth): MaybePromise<number>;
  /** Writes `width` bytes at `offset` in memory BAR `bar`. */
  writeBar(bar: number, offset: number, width: AccessWidth, value: number): MaybePromise<void>;
  /** Calls `listener` for every interrupt the function sends. */
  onInterrupt(listener: (interrupt: PciInterrupt) => void): Unsubscribe;
}

/**
 * Register access to one virtio-mmio device: its register window (control
 * registers at 0x000..0x0ff, device config from 0x100).
 */
export interface MmioRegisterAccess {
  /** Reads `width` bytes at `offset` in the register window. */
  read(offset: number, width: AccessWidth): MaybePromise<number>;
  /** Writes `width` bytes at `offset` in the register window. */
  write(offset: number, width: AccessWidth, value: number): MaybePromise<void>;
  /** Calls `listener` on every change of the interrupt line. */
  onInterrupt(listener: (interrupt: MmioInterrupt) => void): Unsubscribe;
}

/** A small listener set used by both transport models. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  /** Adds `listener`; returns its remover. */
  add(listener: (value: T) => void): Unsubscribe {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Calls every listener with `value`. */
  emit(value: T): void {
    for (const listener of this.set) listener(value);
  }
}

/** True for the access widths the models take. */
export function isAccessWidth(width: number): width is AccessWidth {
  return width === 1 || width === 2 || width === 4;
}

/** Mask of the low `width` bytes. */
export function widthMask(width: AccessWidth): number {
  return width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1;
}
