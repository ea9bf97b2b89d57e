/**
 * Ring placement for the front end: the driver owns guest memory, so it
 * chooses each queue's size, allocates the three ring areas and the
 * indirect-table pool, and builds the ring engine's driver-side queue
 * (Linux `vring_create_virtqueue`, virtio_ring.c).
 *
 * Allocations come from a bump allocator that cannot free, so a
 * {@link RingPool} keeps what it handed out per queue and gives the same
 * memory back when the same queue is set up again with the same shape
 * (after a reset, a re-probe or a queue reset).
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
  VIRTQ_MAX_SIZE,
  VIRTQ_USED_ALIGN,
  virtqAvailRingSize,
  virtqDescTableSize,
  virtqUsedRingSize,
} from '../../../specs/virtqueue/index.js';
import type { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import {
  allocateIndirectArea,
  allocatePackedRing,
  allocateSplitRing,
  type DriverQueueOptions,
  PackedDriverQueue,
  type RingFormat,
  SplitDriverQueue,
  type VirtqueueLayout,
} from '../../virtqueue/index.js';
import { ok, type RingOptions, virtioError, type VirtioResult } from './virtio-config-ops.js';

/** Indirect-table entries per buffer when {@link RingOptions.indirectMaxEntries} is not given. */
export const DEFAULT_INDIRECT_MAX_ENTRIES = 32;

/** Either driver-side ring engine. */
export type DriverRing<T> = SplitDriverQueue<T> | PackedDriverQueue<T>;

/** Memory of one queue: ring areas plus the optional indirect pool. */
export interface RingAllocation {
  readonly format: RingFormat;
  readonly layout: VirtqueueLayout;
  /** Indirect-table pool, or undefined (no INDIRECT_DESC, queue of size 1, or no memory left). */
  readonly indirectArea: number | undefined;
  /** Entries per indirect table (0 without a pool). */
  readonly indirectMaxEntries: number;
}

/**
 * Which device maximums a transport driver takes, after Linux 6.1:
 * - `'ring'`: only what the ring format needs: a power of 2 for a split ring
 *   (`vring_alloc_queue_split`), any size for a packed one (virtio-mmio
 *   `vm_setup_vq` passes QueueNumMax through as it is);
 * - `'pci-modern'`: a power of 2 for either format: `setup_vq`
 *   (virtio_pci_modern.c) refuses any other queue_size as "bad queue size"
 *   (-EINVAL) before it looks at the ring format. For a packed ring that is
 *   Linux's own rule, stricter than the spec (`pci.common.device.15` asks
 *   powers of 2 only without RING_PACKED), so no clause is blamed.
 */
export type QueueSizeRule = 'ring' | 'pci-modern';

/** True for 1, 2, 4, … (also above 2^31, where bit operations do not reach). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * The size the driver programs: the device maximum, capped by the caller's
 * request and by 32768, rounded down to a power of two on a split ring
 * (`split.layout.driver.1`, `pci.common.driver.3`). A device maximum that is
 * not a power of two is refused on a split ring, and under the
 * `'pci-modern'` rule on a packed ring too, as Linux 6.1 does. A request
 * below a packed ring's maximum is taken as it is on either transport, as
 * 6.1's `virtqueue_resize` takes any packed size.
 */
export function chooseQueueSize(format: RingFormat, deviceMax: number, requested?: number, rule: QueueSizeRule = 'ring'): VirtioResult<number> {
  if (!(Number.isInteger(deviceMax) && deviceMax > 0)) return virtioError('queue-unavailable', `queue size max ${deviceMax}`);
  if (!isPowerOfTwo(deviceMax)) {
    if (rule === 'pci-modern') {
      return virtioError('queue-size-invalid', `bad queue size ${deviceMax}: not a power of 2`, format === 'split' ? ['pci.common.device.15'] : []);
    }
    // Split rings need a power-of-2 size (2.7); the catalog has no device clause for the MMIO maximum itself.
    if (format === 'split' && deviceMax <= VIRTQ_MAX_SIZE) return virtioError('queue-size-invalid', `bad queue size ${deviceMax}: not a power of 2`);
  }
  let size = Math.min(deviceMax, VIRTQ_MAX_SIZE);
  if (requested !== undefined) {
    if (!(Number.isInteger(requested) && requested > 0)) return virtioError('queue-size-invalid', `requested queue size ${requested}`);
    size = Math.min(size, requested);
  }
  if (format === 'split') size = 2 ** Math.floor(Math.log2(size));
  const valid = format === 'split' ? isValidSplitQueueSize(size) : isValidPackedQueueSize(size);
  return valid ? ok(size) : virtioError('queue-size-invalid', `queue size ${size}`);
}

function ringAreas(format: RingFormat, size: number): readonly (readonly [number, number])[] {
  return format === 'split'
    ? [
        [virtqDescTableSize(size), VIRTQ_DESC_ALIGN],
        [virtqAvailRingSize(size), VIRTQ_AVAIL_ALIGN],
        [virtqUsedRingSize(size), VIRTQ_USED_ALIGN],
      ]
    : [
        [pvirtqDescRingSize(size), PVIRTQ_DESC_ALIGN],
        [PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_ALIGN],
        [PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_ALIGN],
      ];
}

/** True when `areas` fit in what is left of `alloc` (checked first, so a failure wastes nothing). */
function fits(alloc: GuestAllocator, areas: readonly (readonly [number, number])[]): boolean {
  let cursor = alloc.next;
  for (const [len, align] of areas) cursor = Math.ceil(cursor / align) * align + len;
  return cursor <= alloc.end;
}

/** Per-queue ring memory, reused when a queue is set up again with the same shape. */
export class RingPool {
  private readonly cache = new Map<string, RingAllocation>();

  constructor(
    /** Guest memory the rings live in. */
    readonly memory: GuestMemory,
    /** Where ring memory comes from (shared with the driver's buffers). */
    readonly allocator: GuestAllocator,
  ) {}

  /**
   * Ring memory for queue `index`. A split ring that does not fit is halved
   * until it does (Linux `may_reduce_num`); a packed ring is not. Returns
   * the allocation, whose `layout.size` may be smaller than `size`.
   */
  acquire(index: number, format: RingFormat, size: number, ring: RingOptions): VirtioResult<RingAllocation> {
    for (let n = size; n >= 1; n = format === 'split' ? n >>> 1 : 0) {
      const entries = ring.indirect && n >= 2 ? Math.min(n, ring.indirectMaxEntries ?? DEFAULT_INDIRECT_MAX_ENTRIES) : 0;
      const key = `${index}/${format}/${n}/${entries}`;
      const cached = this.cache.get(key);
      if (cached !== undefined) return ok(cached);
      if (!fits(this.allocator, ringAreas(format, n))) continue;
      const layout = format === 'split' ? allocateSplitRing(this.allocator, n) : allocatePackedRing(this.allocator, n);
      // No pool, no indirect descriptors: Linux falls back to direct chains when the table allocation fails.
      const pool = entries >= 2 && fits(this.allocator, [[n * entries * VIRTQ_DESC_SIZE, VIRTQ_DESC_ALIGN]]);
      const allocation: RingAllocation = {
        format,
        layout,
        indirectArea: pool ? allocateIndirectArea(this.allocator, n, entries) : undefined,
        indirectMaxEntries: pool ? entries : 0,
      };
      this.cache.set(key, allocation);
      return ok(allocation);
    }
    return virtioError('out-of-memory', `no guest memory for a ${format} ring of queue ${index} (size ${size})`);
  }
}

/** Builds the driver-side ring engine over `allocation` (zeroing the ring memory). */
export function createDriverRing<T>(memory: GuestMemory, allocation: RingAllocation, ring: RingOptions, callback: boolean): DriverRing<T> {
  const options: DriverQueueOptions = {
    ...allocation.layout,
    eventIdx: ring.eventIdx,
    indirect: allocation.indirectArea !== undefined,
    inOrder: ring.inOrder,
    callback,
    ...(allocation.indirectArea === undefined ? {} : { indirectArea: allocation.indirectArea, indirectMaxEntries: allocation.indirectMaxEntries }),
  };
  return allocation.format === 'split' ? new SplitDriverQueue<T>(memory, options) : new PackedDriverQueue<T>(memory, options);
}
