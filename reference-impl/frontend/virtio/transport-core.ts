/**
 * What the PCI and MMIO transport drivers share: the interrupt context,
 * config-change listeners, the table of set-up queues, ring placement and
 * the bounded register polls.
 *
 * Linux polls without a bound (`while (get_status()) msleep(1)`); a
 * conformance tool must not hang on a device that never finishes a reset,
 * so every poll here gives up after a configurable number of reads and
 * reports a typed error.
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { isValidPackedQueueSize, isValidSplitQueueSize } from '../../../specs/virtqueue/index.js';
import type { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { type PlacedRing, type VirtqueueSetup, VirtqueueHandle, type VirtqueueTransport } from './driver-virtqueue.js';
import { IrqDispatcher } from './irq-dispatcher.js';
import { chooseQueueSize, createDriverRing, type QueueSizeRule, RingPool } from './ring-setup.js';
import {
  type DriverVirtqueue,
  ok,
  type RingOptions,
  type VirtioError,
  virtioError,
  type VirtioResult,
  type VirtqueueRequest,
} from './virtio-config-ops.js';

/** Options shared by both transport drivers. */
export interface FrontendTransportOptions {
  /** Guest memory the rings live in. */
  readonly memory: GuestMemory;
  /** Where ring memory comes from; share it with the driver's buffers. */
  readonly allocator: GuestAllocator;
  /** Status reads after a reset write before giving up (`reset.driver.1`). @default 1000 */
  readonly resetPollLimit?: number;
  /** queue_reset / QueueReset reads before giving up (`vqreset.driver.1`). @default 1000 */
  readonly queueResetPollLimit?: number;
}

/** A queue the transport has set up, with the request it came from. */
export interface QueueEntry {
  readonly handle: VirtqueueHandle<unknown>;
  readonly ring: RingOptions;
}

/** Shared state and helpers of the transport drivers. */
export abstract class TransportCore implements VirtqueueTransport {
  /** Interrupt context. */
  readonly irq = new IrqDispatcher();
  /** Ring placement. */
  readonly rings: RingPool;
  protected readonly memory: GuestMemory;
  protected readonly queues = new Map<number, QueueEntry>();
  protected readonly resetPollLimit: number;
  protected readonly queueResetPollLimit: number;
  /** The driver features last written (`finalizeFeatures`). */
  protected negotiated: FeatureSet = 0n;
  private readonly configListeners = new Set<() => void>();
  /** Config-change interrupts seen. */
  configInterrupts = 0;

  constructor(options: FrontendTransportOptions) {
    this.memory = options.memory;
    this.rings = new RingPool(options.memory, options.allocator);
    this.resetPollLimit = options.resetPollLimit ?? 1000;
    this.queueResetPollLimit = options.queueResetPollLimit ?? 1000;
  }

  /** Which device maximums this transport takes (see {@link QueueSizeRule}). */
  protected abstract readonly queueSizeRule: QueueSizeRule;

  abstract notify(vq: VirtqueueHandle<unknown>): Promise<boolean>;
  abstract resetQueue(vq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>>;
  abstract enableQueue(vq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>>;

  /** Subscribes to config-change interrupts. */
  onConfigChanged(listener: () => void): () => void {
    this.configListeners.add(listener);
    return () => {
      this.configListeners.delete(listener);
    };
  }

  /** Every set-up queue, by ascending index. */
  get vqs(): readonly VirtqueueHandle<unknown>[] {
    return [...this.queues.values()].map((e) => e.handle).sort((a, b) => a.index - b.index);
  }

  /** The set-up queue at `index`, or undefined. */
  vq(index: number): VirtqueueHandle<unknown> | undefined {
    return this.queues.get(index)?.handle;
  }

  /** Waits until every delivered interrupt was handled (Linux `vp_synchronize_vectors`). */
  synchronizeCbs(): Promise<void> {
    return this.irq.synchronize();
  }

  /** Linux `virtio_config_changed` from the transport's point of view. */
  protected configChanged(): void {
    this.configInterrupts++;
    for (const listener of this.configListeners) listener();
  }

  /** Linux `vp_vring_interrupt` / the MMIO queue loop: every queue with a callback; true when one had work. */
  protected vringInterruptAll(): boolean {
    let handled = false;
    for (const { handle } of this.queues.values()) if (handle.hasCallback && handle.interrupt()) handled = true;
    return handled;
  }

  /**
   * Chooses the size, places the ring and builds the handle for one
   * request. The caller programs the device with the result.
   */
  protected buildQueue<T>(request: VirtqueueRequest<T>, sizeMax: number, ring: RingOptions): VirtioResult<VirtqueueHandle<T>> {
    const size = chooseQueueSize(ring.format, sizeMax, request.size, this.queueSizeRule);
    if (size.kind !== 'ok') return withQueue(size, request.index);
    const allocation = this.rings.acquire(request.index, ring.format, size.value, ring);
    if (allocation.kind !== 'ok') return allocation;
    const engine = createDriverRing<T>(this.memory, allocation.value, ring, request.callback !== null);
    const setup: VirtqueueSetup<T> = {
      index: request.index,
      name: request.name,
      sizeMax,
      callback: request.callback,
      notificationData: ring.notificationData,
      layout: allocation.value.layout,
    };
    return ok(new VirtqueueHandle<T>(engine, setup, this));
  }

  /**
   * A new ring for a resize of the set-up queue `vq`: same format and ring
   * features, memory from the {@link RingPool} (new memory for a size the
   * queue never had, the same memory for one it had before). A split size
   * that is not a power of 2 is refused, as `vring_alloc_queue_split` does.
   */
  allocateRing<T>(vq: VirtqueueHandle<T>, size: number): VirtioResult<PlacedRing<T>> {
    const entry = this.queues.get(vq.index);
    if (entry === undefined || entry.handle !== (vq as VirtqueueHandle<unknown>)) return virtioError('queue-unavailable', `queue ${vq.index} is not set up`);
    const valid = vq.format === 'split' ? isValidSplitQueueSize(size) : isValidPackedQueueSize(size);
    if (!valid) return virtioError('queue-size-invalid', `queue ${vq.index}: bad virtqueue length ${size} for a ${vq.format} ring`);
    const allocation = this.rings.acquire(vq.index, vq.format, size, entry.ring);
    if (allocation.kind !== 'ok') return allocation;
    const ring = createDriverRing<T>(this.memory, allocation.value, entry.ring, vq.hasCallback);
    return ok({ ring, layout: allocation.value.layout });
  }

  /** Registers a set-up queue for interrupts and teardown. */
  protected register(handle: VirtqueueHandle<unknown>, ring: RingOptions): void {
    this.queues.set(handle.index, { handle, ring });
  }

  /** Reads `read` until `done`, at most `limit` times; true when it got there. */
  protected async pollUntil(read: () => Promise<number>, done: (value: number) => boolean, limit: number): Promise<boolean> {
    for (let i = 0; i < limit; i++) if (done(await read())) return true;
    return false;
  }
}

/** Prefixes a queue index to an error message. */
export function withQueue<T>(error: VirtioError, index: number): VirtioResult<T> {
  return { ...error, message: `queue ${index}: ${error.message}` };
}
