/**
 * How a virtqueue is set up: its layout in guest memory (the values a driver
 * programs into queue_desc / queue_driver / queue_device), the negotiated
 * ring features, and helpers that lay rings out with a {@link GuestAllocator}.
 *
 * @module
 */

import {
  isValidPackedQueueSize,
  isValidSplitQueueSize,
  PVIRTQ_DESC_ALIGN,
  PVIRTQ_EVENT_SUPPRESS_ALIGN,
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  pvirtqDescRingSize,
  VIRTQ_AVAIL_ALIGN,
  VIRTQ_DESC_ALIGN,
  VIRTQ_DESC_SIZE,
  VIRTQ_USED_ALIGN,
  virtqAvailRingSize,
  virtqDescTableSize,
  virtqUsedRingSize,
} from '../../specs/virtqueue/index.js';
import type { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import type { DeviceRingErrorCode, RingFormat } from './ring-error.js';

/** Where a virtqueue lives in guest memory. Addresses are byte addresses below 2^53. */
export interface VirtqueueLayout {
  /** Queue size: descriptors in the table (split) or ring (packed). */
  readonly size: number;
  /** Descriptor area (`queue_desc`): split descriptor table or packed descriptor ring. */
  readonly descAddr: number;
  /** Driver area (`queue_driver`): split available ring or packed driver event suppression. */
  readonly driverAddr: number;
  /** Device area (`queue_device`): split used ring or packed device event suppression. */
  readonly deviceAddr: number;
}

/** Negotiated ring features that change how the ring is used. */
export interface VirtqueueFeatures {
  /** VIRTIO_F_EVENT_IDX. @default false */
  readonly eventIdx?: boolean;
  /** VIRTIO_F_INDIRECT_DESC. @default false */
  readonly indirect?: boolean;
  /** VIRTIO_F_IN_ORDER. @default false */
  readonly inOrder?: boolean;
}

/** Options of a device-side queue. */
export interface DeviceQueueOptions extends VirtqueueLayout, VirtqueueFeatures {
  /**
   * Test only: the index both sides start from instead of 0 (and wrap 1).
   * Split: the free-running u16 avail/used index. Packed: `slot | wrap << 15`
   * (Linux's encoding of `last_used_idx`), with slot < size. Driver and
   * device must be given the same value.
   * @default 0 (split), 0x8000 (packed: slot 0, wrap counter 1)
   */
  readonly initialIndex?: number;
}

/** Options of a driver-side queue. */
export interface DriverQueueOptions extends DeviceQueueOptions {
  /**
   * Whether the queue has a callback. Without one the driver asks for no
   * used-buffer notifications from the start, as Linux does for
   * callback-less queues. @default true
   */
  readonly callback?: boolean;
  /**
   * Guest address of the indirect-table pool: `size × indirectMaxEntries ×
   * 16` bytes, 16-aligned; one table per head (split) or buffer id (packed).
   * Without it the driver never uses indirect descriptors, like Linux when
   * the table allocation fails. See {@link allocateIndirectArea}.
   */
  readonly indirectArea?: number;
  /** Entries per indirect table; chains with more segments go direct. @default size */
  readonly indirectMaxEntries?: number;
}

/**
 * Checks the queue size and the placement of the three ring areas against
 * the format's alignment rules and the memory size (`split.layout.driver.1`,
 * `packed.layout.driver.1`). Returns the error code, or null when usable.
 */
export function checkRingLayout(mem: GuestMemory, format: RingFormat, layout: VirtqueueLayout): DeviceRingErrorCode | null {
  const q = layout.size;
  if (format === 'split' ? !isValidSplitQueueSize(q) : !isValidPackedQueueSize(q)) return 'queue-size-invalid';
  const ok =
    format === 'split'
      ? area(mem, layout.descAddr, virtqDescTableSize(q), VIRTQ_DESC_ALIGN) &&
        area(mem, layout.driverAddr, virtqAvailRingSize(q), VIRTQ_AVAIL_ALIGN) &&
        area(mem, layout.deviceAddr, virtqUsedRingSize(q), VIRTQ_USED_ALIGN)
      : area(mem, layout.descAddr, pvirtqDescRingSize(q), PVIRTQ_DESC_ALIGN) &&
        area(mem, layout.driverAddr, PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_ALIGN) &&
        area(mem, layout.deviceAddr, PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_ALIGN);
  return ok ? null : 'ring-address-invalid';
}

function area(mem: GuestMemory, addr: number, len: number, align: number): boolean {
  return mem.contains(addr, len) && addr % align === 0;
}

/**
 * Checks a test-only initial index; returns a message, or null when valid.
 * Split: any u16. Packed: `slot | wrap << 15` with slot < size.
 */
export function checkInitialIndex(format: RingFormat, size: number, initialIndex: number): string | null {
  if (!(Number.isInteger(initialIndex) && initialIndex >= 0 && initialIndex <= 0xffff)) {
    return `initial index ${initialIndex} is not a u16`;
  }
  if (format === 'packed' && (initialIndex & 0x7fff) >= size) return `initial slot ${initialIndex & 0x7fff} ≥ size ${size}`;
  return null;
}

/** Allocates the three areas of a split ring of `size` entries, aligned per 2.7 (`split.layout.driver.1`). */
export function allocateSplitRing(alloc: GuestAllocator, size: number): VirtqueueLayout {
  const descAddr = alloc.alloc(virtqDescTableSize(size), VIRTQ_DESC_ALIGN);
  const driverAddr = alloc.alloc(virtqAvailRingSize(size), VIRTQ_AVAIL_ALIGN);
  const deviceAddr = alloc.alloc(virtqUsedRingSize(size), VIRTQ_USED_ALIGN);
  return { size, descAddr, driverAddr, deviceAddr };
}

/** Allocates the descriptor ring and both event suppression areas of a packed ring (`packed.layout.driver.1`). */
export function allocatePackedRing(alloc: GuestAllocator, size: number): VirtqueueLayout {
  const descAddr = alloc.alloc(pvirtqDescRingSize(size), PVIRTQ_DESC_ALIGN);
  const driverAddr = alloc.alloc(PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_ALIGN);
  const deviceAddr = alloc.alloc(PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_ALIGN);
  return { size, descAddr, driverAddr, deviceAddr };
}

/** Allocates an indirect-table pool for {@link DriverQueueOptions.indirectArea}. */
export function allocateIndirectArea(alloc: GuestAllocator, size: number, maxEntries: number): number {
  return alloc.alloc(size * maxEntries * VIRTQ_DESC_SIZE, VIRTQ_DESC_ALIGN);
}

/**
 * Validates the driver-side indirect pool and returns its entry count per
 * table, or 0 when indirect descriptors will not be used.
 * @throws RangeError when the pool is misplaced (a front-end bug).
 */
export function indirectEntries(mem: GuestMemory, options: DriverQueueOptions): number {
  if (!options.indirect || options.indirectArea === undefined) return 0;
  const entries = options.indirectMaxEntries ?? options.size;
  if (!(Number.isInteger(entries) && entries >= 2 && entries <= options.size)) {
    throw new RangeError(`indirectMaxEntries ${entries} must be in 2..size`);
  }
  if (!area(mem, options.indirectArea, options.size * entries * VIRTQ_DESC_SIZE, VIRTQ_DESC_ALIGN)) {
    throw new RangeError('indirect area misaligned or outside guest memory');
  }
  return entries;
}

/** A buffer segment for the convenience add forms: guest address and length in bytes. */
export interface Segment {
  /** Guest address (below 2^53; split into u32 halves when written). */
  readonly addr: number;
  /** Length in bytes (u32). */
  readonly len: number;
}
