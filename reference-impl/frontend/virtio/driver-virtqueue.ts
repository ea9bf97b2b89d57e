/**
 * The driver-side virtqueue object drivers use (Linux `struct virtqueue`
 * and the `virtqueue_*` API): the ring engine plus what only the transport
 * knows, namely how to notify the device, the MSI-X vector, per-queue reset,
 * and the used-buffer callback.
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
import type { DriverVirtqueue, VirtioResult, VirtqueueCallback } from './virtio-config-ops.js';
import { virtioError } from './virtio-config-ops.js';

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
  /** Ring areas and size, as programmed into the device. */
  readonly layout: VirtqueueLayout;
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

  constructor(
    /** The ring engine. */
    readonly ring: DriverRing<T>,
    setup: VirtqueueSetup<T>,
    private readonly transport: VirtqueueTransport,
  ) {
    this.index = setup.index;
    this.name = setup.name;
    this.sizeMax = setup.sizeMax;
    this.format = ring.format;
    this.callback = setup.callback;
    this.notificationData = setup.notificationData;
    this.layout = setup.layout;
    this.notifyValue = setup.index;
  }

  /** Ring size. */
  get size(): number {
    return this.ring.size;
  }
  /** Segments staged for {@link add}. */
  get stage(): SegmentStage {
    return this.ring.stage;
  }
  /** Free descriptors. */
  get numFree(): number {
    return this.ring.numFree;
  }
  /** Broken by the device (bad used entry) or by the transport. */
  get isBroken(): boolean {
    return this.breakReason !== null || this.ring.isBroken;
  }
  /** The ring error that broke the queue, or null (also null when the transport broke it). */
  get brokenBy(): DriverRingError | null {
    return this.ring.brokenBy;
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
      this.ring.stage.clear();
      return ADD_BROKEN;
    }
    return this.ring.add(token);
  }

  addSgs(out: readonly Segment[], inn: readonly Segment[], token: T): AddResult {
    if (this.breakReason !== null) return ADD_BROKEN;
    return this.ring.addSgs(out, inn, token);
  }

  addOutbuf(addr: number, len: number, token: T): AddResult {
    if (this.breakReason !== null) return ADD_BROKEN;
    if (this.ring.format === 'split') return this.ring.addBuffer(addr, len, false, token);
    this.ring.stage.clear();
    this.ring.stage.out(addr, len);
    return this.ring.add(token);
  }

  addInbuf(addr: number, len: number, token: T): AddResult {
    if (this.breakReason !== null) return ADD_BROKEN;
    if (this.ring.format === 'split') return this.ring.addBuffer(addr, len, true, token);
    this.ring.stage.clear();
    this.ring.stage.in(addr, len);
    return this.ring.add(token);
  }

  kickPrepare(): boolean {
    const kick = this.ring.kickPrepare();
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
    return this.ring.notificationData(this.index);
  }

  getBuf(): UsedBuffer<T> | DriverRingError | null {
    if (this.breakReason !== null) return null;
    return this.ring.getUsed();
  }

  disableCb(): void {
    this.ring.disableCallbacks();
  }

  enableCbPrepare(): number {
    return this.ring.enableCallbacksPrepare();
  }

  poll(opaque: number): boolean {
    return this.breakReason === null && this.ring.poll(opaque);
  }

  enableCb(): boolean {
    return this.ring.enableCallbacks() || this.isBroken;
  }

  enableCbDelayed(): boolean {
    return this.ring.enableCallbacksDelayed() || this.isBroken;
  }

  detachUnusedBuf(): T | null {
    return this.ring.detachUnused();
  }

  /** True when the device has put something in the used ring the driver has not collected (Linux `more_used`). */
  moreUsed(): boolean {
    const r = this.ring;
    return r.format === 'split' ? r.poll(r.lastUsedIdx) : r.poll(r.usedPosition);
  }

  /**
   * Linux `vring_interrupt`: false (IRQ_NONE) when there is nothing new;
   * a broken queue swallows the interrupt; otherwise the callback runs.
   */
  interrupt(): boolean {
    if (this.isReset || !this.moreUsed()) return false;
    if (this.isBroken) return true;
    this.ring.noteInterrupt();
    this.callback?.(this as unknown as DriverVirtqueue<T>);
    return true;
  }

  /** Zeroes the ring and clears a ring break (Linux `virtqueue_reinit_split/packed`). */
  reinit(): void {
    this.ring.reset();
  }

  /** Linux `virtqueue_reset`: queue reset, recycle unused buffers, re-initialise, re-enable. */
  async reset(recycle?: (token: T) => void): Promise<VirtioResult<void>> {
    const self = this as VirtqueueHandle<unknown>;
    const stopped = await this.transport.resetQueue(self);
    if (stopped.kind !== 'ok') return stopped;
    for (let token = this.ring.detachUnused(); token !== null; token = this.ring.detachUnused()) recycle?.(token);
    this.reinit();
    return this.transport.enableQueue(self);
  }
}

/** Error for a queue operation that needs a feature the device did not negotiate. */
export function queueResetUnsupported(index: number): VirtioResult<void> {
  return virtioError('queue-reset-failed', `queue ${index}: VIRTIO_F_RING_RESET not negotiated`, [], -2);
}
