/**
 * The driver-side virtqueue object drivers use (Linux `struct virtqueue`
 * and the `virtqueue_*` API): the ring engine plus what only the transport
 * knows, namely how to notify the device, the MSI-X vector, per-queue reset
 * and resize, and the used-buffer callback.
 *
 * Broken state (Linux BAD_RING, linux-driver-facts §4.1): the engine breaks
 * the queue on a bad used entry; the transport breaks it when a
 * notification cannot be delivered or the device is removed
 * (`__virtio_break_device`). Either way adds fail, `getBuf` returns null,
 * notifications and polls return false.
 *
 * @module
 */

import {
  ADD_BROKEN,
  type AddResult,
  type DriverRingError,
  type RingFormat,
  type Segment,
  type SegmentStage,
  type UsedBuffer,
  type VirtqueueLayout,
} from '../../virtqueue/index.js';
import type { DriverRing } from './ring-setup.js';
import type { DriverVirtqueue, VirtioError, VirtioResult, VirtqueueCallback } from './virtio-config-ops.js';
import { ERRNO, ok, virtioError } from './virtio-config-ops.js';

/** Linux `E2BIG`: `virtqueue_resize` for a size above the device maximum. */
const E2BIG = -7;

/** A ring built for {@link VirtqueueHandle.resize}: the engine and where its areas are. */
export interface PlacedRing<T> {
  readonly ring: DriverRing<T>;
  readonly layout: VirtqueueLayout;
}

/** What a queue needs from its transport. */
export interface VirtqueueTransport {
  /**
   * Writes the notification for `vq` (with its NOTIFICATION_DATA word when
   * negotiated). False when the write could not be made.
   */
  notify(vq: VirtqueueHandle<unknown>): Promise<boolean>;
  /** Stops the queue on the device (RING_RESET), or refuses. */
  resetQueue(vq: VirtqueueHandle<unknown>): Promise<VirtioResult<void>>;
  /** Re-programs and re-enables the queue after {@link resetQueue}. */
  enableQueue(vq: VirtqueueHandle<unknown>): Promise<VirtioResult<void>>;
  /**
   * A new ring of `size` entries for `vq`, same format and ring features,
   * in memory the old ring does not use (Linux `vring_alloc_queue_split` /
   * `_packed` from `virtqueue_resize`); a split ring may come back smaller
   * when memory is short (`may_reduce_num`).
   */
  allocateRing<T>(vq: VirtqueueHandle<T>, size: number): VirtioResult<PlacedRing<T>>;
}

/** Static facts about a queue, fixed at setup. */
export interface VirtqueueSetup<T> {
  readonly index: number;
  readonly name: string;
  /** Device maximum (Linux `num_max`). */
  readonly sizeMax: number;
  readonly callback: VirtqueueCallback<T> | null;
  /** VIRTIO_F_NOTIFICATION_DATA negotiated. */
  readonly notificationData: boolean;
  /** Where the ring areas are (what the transport programs). */
  readonly layout: VirtqueueLayout;
}

/** A driver-side virtqueue bound to a transport. */
export class VirtqueueHandle<T = unknown> implements DriverVirtqueue<T> {
  readonly index: number;
  readonly name: string;
  readonly sizeMax: number;
  readonly format: RingFormat;
  /** VIRTIO_F_NOTIFICATION_DATA negotiated. */
  readonly notificationData: boolean;
  /** MSI-X vector (−1 for none); set by the PCI transport. */
  vector = -1;
  /** Notification address or register offset, as the transport chose it. */
  notifyOffset = -1;
  /** Value the PCI notification carries in its low 16 bits (queue index, or queue_notif_config_data). */
  notifyValue: number;
  /** True between a per-queue reset and the re-enable (Linux `vq->reset`). */
  isReset = false;
  private readonly callback: VirtqueueCallback<T> | null;
  private breakReason: string | null = null;
  // Replaced only by resize; the transport programs whatever `layout` says at the next enable.
  private engine: DriverRing<T>;
  private area: VirtqueueLayout;

  constructor(
    /** The ring engine. */
    ring: DriverRing<T>,
    setup: VirtqueueSetup<T>,
    private readonly transport: VirtqueueTransport,
  ) {
    this.engine = ring;
    this.area = setup.layout;
    this.index = setup.index;
    this.name = setup.name;
    this.sizeMax = setup.sizeMax;
    this.format = ring.format;
    this.callback = setup.callback;
    this.notificationData = setup.notificationData;
    this.notifyValue = setup.index;
  }

  /** The ring engine (a new one after {@link resize}). */
  get ring(): DriverRing<T> {
    return this.engine;
  }

  /** Ring areas and size, as programmed into the device (new ones after {@link resize}). */
  get layout(): VirtqueueLayout {
    return this.area;
  }

  /** Ring size. */
  get size(): number {
    return this.engine.size;
  }
  /** Segments staged for {@link add}. */
  get stage(): SegmentStage {
    return this.engine.stage;
  }
  /** Free descriptors. */
  get numFree(): number {
    return this.engine.numFree;
  }
  /** Broken by the device (bad used entry) or by the transport. */
  get isBroken(): boolean {
    return this.breakReason !== null || this.engine.isBroken;
  }
  /** The ring error that broke the queue, or null (also null when the transport broke it). */
  get brokenBy(): DriverRingError | null {
    return this.engine.brokenBy;
  }
  /** Why the transport broke the queue, or null. */
  get transportBreak(): string | null {
    return this.breakReason;
  }
  /** True when the queue has a used-buffer callback. */
  get hasCallback(): boolean {
    return this.callback !== null;
  }

  /** Marks the queue broken (Linux `__virtio_break_device`, or a failed notify). */
  markBroken(reason: string): void {
    this.breakReason ??= reason;
  }

  /** Clears a transport break (Linux `__virtio_unbreak_device` at DRIVER_OK); a ring break stays until {@link reinit}. */
  unbreak(): void {
    this.breakReason = null;
  }

  add(token: T): AddResult {
    if (this.breakReason !== null) {
      this.engine.stage.clear();
      return ADD_BROKEN;
    }
    return this.engine.add(token);
  }

  addSgs(out: readonly Segment[], inn: readonly Segment[], token: T): AddResult {
    if (this.breakReason !== null) return ADD_BROKEN;
    return this.engine.addSgs(out, inn, token);
  }

  addOutbuf(addr: number, len: number, token: T): AddResult {
    if (this.breakReason !== null) return ADD_BROKEN;
    if (this.engine.format === 'split') return this.engine.addBuffer(addr, len, false, token);
    this.engine.stage.clear();
    this.engine.stage.out(addr, len);
    return this.engine.add(token);
  }

  addInbuf(addr: number, len: number, token: T): AddResult {
    if (this.breakReason !== null) return ADD_BROKEN;
    if (this.engine.format === 'split') return this.engine.addBuffer(addr, len, true, token);
    this.engine.stage.clear();
    this.engine.stage.in(addr, len);
    return this.engine.add(token);
  }

  kickPrepare(): boolean {
    const kick = this.engine.kickPrepare();
    return kick && this.breakReason === null;
  }

  /** Linux `virtqueue_notify`: a failed notification write breaks the queue. */
  async notify(): Promise<boolean> {
    if (this.isBroken) return false;
    if (!(await this.transport.notify(this as VirtqueueHandle<unknown>))) {
      this.markBroken('notification could not be delivered');
      return false;
    }
    return true;
  }

  async kick(): Promise<boolean> {
    if (this.kickPrepare()) return this.notify();
    return !this.isBroken;
  }

  /** The NOTIFICATION_DATA word for the next kick (2.9, facts.md §10). */
  notificationWord(): number {
    return this.engine.notificationData(this.index);
  }

  getBuf(): UsedBuffer<T> | DriverRingError | null {
    if (this.breakReason !== null) return null;
    return this.engine.getUsed();
  }

  disableCb(): void {
    this.engine.disableCallbacks();
  }

  enableCbPrepare(): number {
    return this.engine.enableCallbacksPrepare();
  }

  poll(opaque: number): boolean {
    return this.breakReason === null && this.engine.poll(opaque);
  }

  enableCb(): boolean {
    return this.engine.enableCallbacks() || this.isBroken;
  }

  enableCbDelayed(): boolean {
    return this.engine.enableCallbacksDelayed() || this.isBroken;
  }

  detachUnusedBuf(): T | null {
    return this.engine.detachUnused();
  }

  /** True when the device has put something in the used ring the driver has not collected (Linux `more_used`). */
  moreUsed(): boolean {
    const r = this.engine;
    return r.format === 'split' ? r.poll(r.lastUsedIdx) : r.poll(r.usedPosition);
  }

  /**
   * Linux `vring_interrupt`: false (IRQ_NONE) when there is nothing new;
   * a broken queue swallows the interrupt; otherwise the callback runs.
   */
  interrupt(): boolean {
    if (this.isReset || !this.moreUsed()) return false;
    if (this.isBroken) return true;
    this.engine.noteInterrupt();
    this.callback?.(this as unknown as DriverVirtqueue<T>);
    return true;
  }

  /** Zeroes the ring and clears a ring break (Linux `virtqueue_reinit_split/packed`). */
  reinit(): void {
    this.engine.reset();
  }

  /** Linux `virtqueue_reset`: queue reset, recycle unused buffers, re-initialise, re-enable. */
  async reset(recycle?: (token: T) => void): Promise<VirtioResult<void>> {
    const self = this as VirtqueueHandle<unknown>;
    const stopped = await this.transport.resetQueue(self);
    if (stopped.kind !== 'ok') return stopped;
    this.detachAll(recycle);
    this.reinit();
    return this.transport.enableQueue(self);
  }

  /**
   * Linux `virtqueue_resize` (virtio_ring.c, 6.1): -E2BIG above the device
   * maximum, -EINVAL for 0, nothing for the current size. Otherwise the
   * queue is reset on the device (the transport refuses with -ENOENT
   * without VIRTIO_F_RING_RESET, `vqreset.driver.1`), every unused buffer
   * goes to `recycle` exactly once (`vqreset.driver.2`), a ring of `num`
   * entries replaces the old one, and the queue is programmed again and
   * re-enabled with the new size (`vqreset.driver.3`).
   *
   * When the new ring cannot be had (no memory, or a split size that is not
   * a power of 2, which `vring_alloc_queue_split` refuses) the old ring is
   * re-initialised and re-enabled and the answer is -ENOMEM, as Linux's
   * `virtqueue_resize_split/packed` do; a packed ring takes any size
   * 1..max, on PCI too (6.1's `vp_active_vq` writes it as it is, and
   * `pci.common.driver.3` asks powers of 2 only of split rings). A failed
   * re-enable is -EBUSY. The buffers are recycled in every case past the
   * queue reset.
   */
  async resize(num: number, recycle: (token: T) => void): Promise<VirtioResult<void>> {
    if (num > this.sizeMax) return virtioError('queue-size-invalid', `queue ${this.index}: size ${num} above the maximum ${this.sizeMax}`, [], E2BIG);
    if (!(Number.isInteger(num) && num > 0)) return virtioError('queue-size-invalid', `queue ${this.index}: size ${num}`);
    if (num === this.engine.size) return ok(undefined);
    const self = this as VirtqueueHandle<unknown>;
    const stopped = await this.transport.resetQueue(self);
    if (stopped.kind !== 'ok') return stopped;
    this.detachAll(recycle);
    let outcome: VirtioResult<void> = ok(undefined);
    const placed = this.transport.allocateRing(this, num);
    if (placed.kind === 'ok') {
      this.engine = placed.value.ring;
      this.area = placed.value.layout;
    } else {
      this.reinit();
      outcome = asErrno(placed, ERRNO.ENOMEM);
    }
    const enabled = await this.transport.enableQueue(self);
    return enabled.kind === 'ok' ? outcome : asErrno(enabled, ERRNO.EBUSY);
  }

  private detachAll(recycle: ((token: T) => void) | undefined): void {
    for (let token = this.engine.detachUnused(); token !== null; token = this.engine.detachUnused()) recycle?.(token);
  }
}

function asErrno(error: VirtioError, errno: number): VirtioError {
  return virtioError(error.code, error.message, error.clauses, errno);
}

/** Error for a queue operation that needs a feature the device did not negotiate. */
export function queueResetUnsupported(index: number): VirtioResult<void> {
  return virtioError('queue-reset-failed', `queue ${index}: VIRTIO_F_RING_RESET not negotiated`, [], -2);
}
