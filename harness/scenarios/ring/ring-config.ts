/**
 * What one ring scenario runs on: the ring format, queue size and
 * negotiated ring features, and where the rings, the indirect pool and the
 * buffers sit in guest memory.
 *
 * @module
 */

import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import { isValidPackedQueueSize, isValidSplitQueueSize } from '../../../specs/virtqueue/index.js';
import { GuestAllocator } from '../../../reference-impl/memory/guest-memory.js';
import {
  allocateIndirectArea,
  allocatePackedRing,
  allocateSplitRing,
  type DeviceQueueOptions,
  type DriverQueueOptions,
  type RingFormat,
  type VirtqueueLayout,
} from '../../../reference-impl/virtqueue/index.js';

/** One queue configuration of a ring scenario. */
export interface RingScenarioConfig {
  /** Split (2.7) or packed (2.8) ring. */
  readonly format: RingFormat;
  /** Queue size: a power of 2 up to 256 (split) or 1..256 (packed). */
  readonly size: number;
  /** VIRTIO_F_EVENT_IDX. */
  readonly eventIdx: boolean;
  /** VIRTIO_F_INDIRECT_DESC; the driver gets an indirect pool when the size is at least 2. */
  readonly indirect: boolean;
  /** VIRTIO_F_IN_ORDER. */
  readonly inOrder: boolean;
  /**
   * Split only: the free-running avail/used index both sides start from
   * (e.g. near 65535 so that it wraps during the run). Packed rings always
   * start at slot 0 with wrap counter 1: the packed observer attaches at
   * queue enable, so its wrap flips come from running laps instead.
   * @default 0
   */
  readonly initialIndex?: number;
}

/** Largest queue size the runner lays out. */
export const RING_SCENARIO_MAX_SIZE = 256;
/** Most segments the runner puts in one buffer. */
export const RING_SCENARIO_MAX_SEGMENTS = 8;
/** Bytes reserved per segment in a buffer's region; segment lengths are 1..this. */
export const RING_SCENARIO_SEGMENT_BYTES = 64;
/** Bytes of one buffer region: one per possible outstanding buffer. */
export const RING_SCENARIO_REGION_BYTES = RING_SCENARIO_MAX_SEGMENTS * RING_SCENARIO_SEGMENT_BYTES;
/** Entries of each indirect table (chains with more segments go direct, as in Linux when a table is too small). */
export const RING_SCENARIO_INDIRECT_ENTRIES = 4;

/** Where a configuration's queue sits in guest memory. */
export interface RingPlan {
  readonly layout: VirtqueueLayout;
  /** Indirect-table pool, or undefined when the driver never uses indirect descriptors. */
  readonly indirectArea: number | undefined;
  /** Entries per indirect table, 0 without a pool. */
  readonly indirectEntries: number;
  /** Address of buffer region 0; region r starts at `regionBase + r × RING_SCENARIO_REGION_BYTES`. */
  readonly regionBase: number;
  /** Bytes of guest memory the plan needs. */
  readonly memoryBytes: number;
}

/**
 * Checks a configuration; returns a message or null.
 * Split sizes must be powers of 2 (`split.layout.driver.1` via 2.7), packed
 * sizes any value in 1..32768 (2.8); the runner caps both at 256.
 */
export function checkRingScenarioConfig(c: RingScenarioConfig): string | null {
  const validSize = c.format === 'split' ? isValidSplitQueueSize(c.size) : isValidPackedQueueSize(c.size);
  if (!validSize || c.size > RING_SCENARIO_MAX_SIZE) return `queue size ${c.size} is not usable for a ${c.format} ring scenario`;
  if (c.initialIndex !== undefined) {
    if (c.format === 'packed') return 'packed scenarios start at slot 0, wrap 1 (the packed observer attaches at queue enable)';
    if (!(Number.isInteger(c.initialIndex) && c.initialIndex >= 0 && c.initialIndex <= 0xffff)) return `initial index ${c.initialIndex} is not a u16`;
  }
  return null;
}

/** Lays the queue, the indirect pool and the buffer regions out from address 0x100 on. */
export function planRing(c: RingScenarioConfig): RingPlan {
  const alloc = new GuestAllocator({ size: 2 ** 31 }, 0x100);
  const layout = c.format === 'split' ? allocateSplitRing(alloc, c.size) : allocatePackedRing(alloc, c.size);
  const indirectEntries = c.indirect && c.size >= 2 ? Math.min(c.size, RING_SCENARIO_INDIRECT_ENTRIES) : 0;
  const indirectArea = indirectEntries > 0 ? allocateIndirectArea(alloc, c.size, indirectEntries) : undefined;
  const regionBase = alloc.alloc(c.size * RING_SCENARIO_REGION_BYTES, 64);
  return { layout, indirectArea, indirectEntries, regionBase, memoryBytes: alloc.next + 0x100 };
}

/** The options both sides of a configuration's queue are built with (the driver's add the indirect pool). */
export function ringQueueOptions(c: RingScenarioConfig, plan: RingPlan): { readonly device: DeviceQueueOptions; readonly driver: DriverQueueOptions } {
  const device: DeviceQueueOptions = {
    ...plan.layout,
    eventIdx: c.eventIdx,
    indirect: c.indirect,
    inOrder: c.inOrder,
    ...(c.initialIndex === undefined ? {} : { initialIndex: c.initialIndex }),
  };
  const pool = plan.indirectArea === undefined ? {} : { indirectArea: plan.indirectArea, indirectMaxEntries: plan.indirectEntries };
  return { device, driver: { ...device, ...pool } };
}

/** The negotiated feature bits of a configuration, as the observers take them. */
export function ringScenarioFeatures(c: RingScenarioConfig): bigint {
  let f = 1n << BigInt(VIRTIO_F_VERSION_1);
  if (c.format === 'packed') f |= 1n << BigInt(VIRTIO_F_RING_PACKED);
  if (c.eventIdx) f |= 1n << BigInt(VIRTIO_F_EVENT_IDX);
  if (c.indirect) f |= 1n << BigInt(VIRTIO_F_INDIRECT_DESC);
  if (c.inOrder) f |= 1n << BigInt(VIRTIO_F_IN_ORDER);
  return f;
}

/** A short label such as `split/q8/event-idx+indirect@65530`, for test names and reports. */
export function ringScenarioLabel(c: RingScenarioConfig): string {
  const flags = [c.eventIdx ? 'event-idx' : '', c.indirect ? 'indirect' : '', c.inOrder ? 'in-order' : ''].filter((s) => s !== '');
  const at = c.initialIndex === undefined ? '' : `@${c.initialIndex}`;
  return `${c.format}/q${c.size}/${flags.length === 0 ? 'plain' : flags.join('+')}${at}`;
}
