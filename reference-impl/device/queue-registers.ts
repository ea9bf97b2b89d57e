/**
 * Per-virtqueue register state of the core: what the driver programmed
 * through queue_size / queue_enable / queue_desc / queue_driver /
 * queue_device (PCI) or QueueSize / QueueReady / QueueDesc* (MMIO), and the
 * device-side queue object built from it.
 *
 * @module
 */

import { isValidPackedQueueSize, isValidSplitQueueSize } from '../../specs/virtqueue/index.js';
import type { RingFormat } from '../virtqueue/ring-error.js';
import type { DeviceQueue } from './device-queue.js';

/** The three ring areas a driver programs, by their spec names. */
export type QueueArea = 'desc' | 'driver' | 'device';

/** Largest u32 `hi` half that keeps `hi · 2^32 + lo` an exact JS number. */
const MAX_EXACT_HI = 0x1f_ffff;

/** Register state of one virtqueue. */
export class QueueRegisters {
  /** queue_size / QueueSize; the max after reset (facts.md §11.2). */
  size: number;
  /**
   * Max size offered now (QueueSizeMax; 0 means the queue does not exist):
   * {@link initialMaxSize} until FEATURES_OK is kept, then the negotiated
   * layout's.
   */
  maxSize: number;
  /** The driver wrote queue_size / QueueSize since the last reset. */
  sizeWritten = false;
  /** queue_enable / QueueReady. */
  enabled = false;
  /** Reads of queue_reset / QueueReset still to show 1 (a reset in progress, `pci.common.device.12`). */
  resetReadsLeft = 0;
  /** Ring areas as u32 halves: [descLo, descHi, driverLo, driverHi, deviceLo, deviceHi]. */
  readonly address = new Uint32Array(6);
  /** The device-side queue built when the device went live with this queue enabled. */
  engine: DeviceQueue | null = null;

  constructor(
    /** Queue index. */
    readonly index: number,
    /** Max size offered before negotiation (the backend's `queueMaxSizes` entry). */
    readonly initialMaxSize: number,
  ) {
    this.maxSize = initialMaxSize;
    this.size = initialMaxSize;
  }

  /** Back to the state after reset: size = the current max, not enabled, addresses 0 (`vqreset.device.2`). */
  reset(): void {
    this.size = this.maxSize;
    this.sizeWritten = false;
    this.enabled = false;
    this.resetReadsLeft = 0;
    this.address.fill(0);
    this.engine = null;
  }

  /** One u32 half of a ring area address. */
  readAddress(area: QueueArea, half: 0 | 1): number {
    return this.address[areaSlot(area) + half] as number;
  }

  /** Sets one u32 half of a ring area address. */
  writeAddress(area: QueueArea, half: 0 | 1, value: number): void {
    this.address[areaSlot(area) + half] = value >>> 0;
  }

  /**
   * A ring area address as a number. Addresses that do not fit in 53 bits
   * come back as `Number.MAX_SAFE_INTEGER`, which no guest memory contains,
   * so the engine reports them as `ring-address-invalid`.
   */
  areaAddress(area: QueueArea): number {
    const slot = areaSlot(area);
    const hi = this.address[slot + 1] as number;
    if (hi > MAX_EXACT_HI) return Number.MAX_SAFE_INTEGER;
    return hi * 2 ** 32 + (this.address[slot] as number);
  }
}

function areaSlot(area: QueueArea): number {
  return area === 'desc' ? 0 : area === 'driver' ? 2 : 4;
}

/** Verdict on a driver's queue_size write. */
export type QueueSizeCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'zero-packed' }
  | { readonly kind: 'not-power-of-2' };

/**
 * Whether `size` may be written to a queue of max `maxSize` in `format`.
 * Split: 0 (queue unused) or a power of 2 (`pci.common.driver.3`,
 * `pci.common.device.15`); packed: 1..max (`pci.common.driver.2`,
 * `packed.layout.driver.1`); never above the max (`mmio.reg.driver.14`).
 */
export function checkQueueSize(format: RingFormat, size: number, maxSize: number): QueueSizeCheck {
  if (size > maxSize) return { kind: 'too-large' };
  if (format === 'packed') return size === 0 ? { kind: 'zero-packed' } : isValidPackedQueueSize(size) ? { kind: 'ok' } : { kind: 'too-large' };
  if (size === 0) return { kind: 'ok' };
  return isValidSplitQueueSize(size) ? { kind: 'ok' } : { kind: 'not-power-of-2' };
}
