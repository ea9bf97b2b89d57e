/**
 * State of the driver side of a split virtqueue and its cold operations:
 * layout, private bookkeeping (after Linux `desc_extra` / `desc_state`),
 * kick and callback decisions (linux-driver-facts §4.2), detach and reset.
 * The hot paths are in `split-driver.ts`.
 *
 * @module
 */

import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_USED_F_NO_NOTIFY,
  splitNotificationData,
  virtqAvailRingSize,
  virtqDescTableSize,
  virtqUsedRingSize,
  vring_need_event,
} from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { type UsedBuffer, UsedSlot } from './driver-result.js';
import { checkInitialIndex, checkRingLayout, type DriverQueueOptions, indirectEntries } from './queue-config.js';
import { SegmentStage } from './segment-stage.js';
import { type DriverRingError, type DriverRingErrorCode, driverRingError } from './ring-error.js';

/**
 * The state of a split driver queue and its cold operations (kick and
 * callback decisions, detach, reset); {@link SplitDriverQueue} adds the hot
 * add and collect paths. Only that one class extends it, so every call site
 * stays monomorphic.
 */
export abstract class SplitDriverState<T> {
  readonly format = 'split' as const;
  // Fields set in the constructor are `declare`d (not emitted as class fields), so V8 records their
  // types from the first store and typed-array accesses on the hot path need no extra map checks.
  /** Queue size. */
  declare readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  declare readonly eventIdx: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: descriptors are allocated in ring order. */
  declare readonly inOrder: boolean;
  /** Segments staged for the next {@link add}. */
  declare readonly stage: SegmentStage;

  protected declare readonly mem: GuestMemory;
  protected declare readonly u16: Uint16Array;
  protected declare readonly u32: Uint32Array;
  protected declare readonly mask: number;
  protected declare readonly options: DriverQueueOptions;
  protected declare readonly indirectMax: number;
  protected declare readonly indirect32: number;
  protected declare readonly desc32: number;
  protected declare readonly availFlags16: number;
  protected declare readonly availIdx16: number;
  protected declare readonly availRing16: number;
  protected declare readonly usedEvent16: number;
  protected declare readonly usedFlags16: number;
  protected declare readonly usedIdx16: number;
  protected declare readonly usedRing32: number;
  protected declare readonly availEvent16: number;

  // Private shadows, after Linux desc_extra / desc_state.
  protected declare readonly descNext: Uint16Array;
  protected declare readonly tokens: (T | undefined)[];
  protected declare readonly chainDescs: Uint16Array;
  protected declare readonly chainLast: Uint16Array;
  protected declare readonly writable: Float64Array;
  protected declare readonly completed: Uint8Array;
  protected declare readonly headAt: Uint16Array;
  protected declare readonly seqOf: Uint16Array;
  protected freeHead = 0;
  protected free = 0;
  protected availShadow = 0;
  protected numAdded = 0;
  protected lastUsed = 0;
  protected availFlagsShadow = 0;
  protected eventTriggered = false;
  protected broken: DriverRingError | null = null;
  // True when getUsed must take its slow path: broken queue or IN_ORDER.
  protected slow = false;
  protected head = -1;
  protected batchId = -1;
  protected batchLen = 0;
  protected readonly result = new UsedSlot<T>();

  /**
   * Lays the queue out over zeroed ring memory (the driver allocates and
   * zeroes the rings, `split.asupp.driver.1`).
   * @throws RangeError when the layout, initial index or indirect pool is invalid (a front-end bug).
   */
  constructor(mem: GuestMemory, options: DriverQueueOptions) {
    const bad = checkRingLayout(mem, 'split', options);
    if (bad !== null) throw new RangeError(`split driver queue: ${bad}`);
    const msg = checkInitialIndex('split', options.size, options.initialIndex ?? 0);
    if (msg !== null) throw new RangeError(msg);
    const q = options.size;
    this.mem = mem;
    this.u16 = mem.u16;
    this.u32 = mem.u32;
    this.options = options;
    this.size = q;
    this.mask = q - 1;
    this.eventIdx = options.eventIdx ?? false;
    this.inOrder = options.inOrder ?? false;
    this.indirectMax = indirectEntries(mem, options);
    this.indirect32 = (options.indirectArea ?? 0) >>> 2;
    this.desc32 = options.descAddr >>> 2;
    const a = options.driverAddr >>> 1;
    this.availFlags16 = a;
    this.availIdx16 = a + 1;
    this.availRing16 = a + 2;
    this.usedEvent16 = a + 2 + q;
    const u = options.deviceAddr >>> 1;
    this.usedFlags16 = u;
    this.usedIdx16 = u + 1;
    this.usedRing32 = (options.deviceAddr >>> 2) + 1;
    this.availEvent16 = u + 2 + 4 * q;
    this.descNext = new Uint16Array(q);
    this.tokens = new Array<T | undefined>(q).fill(undefined);
    this.chainDescs = new Uint16Array(q);
    this.chainLast = new Uint16Array(q);
    this.writable = new Float64Array(q);
    this.completed = new Uint8Array(q);
    this.headAt = new Uint16Array(q);
    this.seqOf = new Uint16Array(q);
    this.stage = new SegmentStage(q);
    this.init();
  }

  /** Free descriptors (Linux `num_free`). */
  get numFree(): number {
    return this.free;
  }

  /** True once a device error was seen (Linux `vq->broken`). */
  get isBroken(): boolean {
    return this.broken !== null;
  }

  /** The error that broke the queue, or null. */
  get brokenBy(): DriverRingError | null {
    return this.broken;
  }

  /** Head descriptor index of the last successful add, −1 before any. */
  get lastHead(): number {
    return this.head;
  }

  /** The driver's `avail->idx` (free-running u16). */
  get availIdx(): number {
    return this.availShadow;
  }

  /** Next used-ring index the driver will read (free-running u16). */
  get lastUsedIdx(): number {
    return this.lastUsed;
  }

  /** Records the buffer and publishes its head: ring entry first, then `avail->idx` (`split.op.driver.4`). */
  protected publish(head: number, token: T, descs: number, last: number, writable: number): void {
    this.tokens[head] = token;
    this.chainDescs[head] = descs;
    this.chainLast[head] = last;
    this.writable[head] = writable;
    const pos = this.availShadow;
    if (this.inOrder) {
      this.headAt[pos & this.mask] = head;
      this.seqOf[head] = pos;
    }
    this.u16[this.availRing16 + (pos & this.mask)] = head;
    this.availShadow = (pos + 1) & 0xffff;
    this.u16[this.availIdx16] = this.availShadow;
    this.numAdded++;
    this.head = head;
  }

  protected writeDesc(d: number, addr: number, len: number, flags: number, next: number): void {
    const lo = addr >>> 0;
    this.u32[d] = lo;
    this.u32[d + 1] = addr < 4294967296 ? 0 : (addr - lo) / 4294967296;
    this.u32[d + 2] = len;
    this.u16[(d << 1) + 6] = flags;
    this.u16[(d << 1) + 7] = next;
  }

  /**
   * Whether to notify the device about the buffers added since the last
   * call. With EVENT_IDX: `vring_need_event(avail_event, new, old)`
   * (`split.asupp.driver.6`, `split.asupp.driver.7`); without: unless
   * `used->flags` has NO_NOTIFY (`split.asupp.driver.3`, `split.asupp.driver.4`).
   * More than 65535 adds without a kick always kick (Linux kicks itself at 65535).
   * A broken queue never kicks.
   */
  kickPrepare(): boolean {
    const added = this.numAdded;
    this.numAdded = 0;
    if (this.broken !== null) return false;
    if (this.eventIdx) {
      if (added > 0xffff) return true;
      const now = this.availShadow;
      return vring_need_event(this.u16[this.availEvent16] as number, now, (now - added) & 0xffff);
    }
    return ((this.u16[this.usedFlags16] as number) & VIRTQ_USED_F_NO_NOTIFY) === 0;
  }

  /** The 32-bit VIRTIO_F_NOTIFICATION_DATA value for a kick of queue `vqIndex` (2.9). */
  notificationData(vqIndex: number): number {
    return splitNotificationData(vqIndex, this.availShadow);
  }

  protected completeOldestOfBatch(): UsedBuffer<T> {
    const oldest = this.headAt[this.lastUsed & this.mask] as number;
    if (oldest !== this.batchId) return this.complete(oldest, this.writable[oldest] as number);
    this.batchId = -1;
    return this.complete(oldest, this.batchLen);
  }

  protected complete(id: number, len: number): UsedBuffer<T> {
    const r = this.result;
    r.token = this.tokens[id] as T;
    r.len = len;
    this.tokens[id] = undefined;
    this.completed[id] = 1;
    this.release(id);
    this.lastUsed = (this.lastUsed + 1) & 0xffff;
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0) this.u16[this.usedEvent16] = this.lastUsed;
    return r;
  }

  protected release(id: number): void {
    this.free += this.chainDescs[id] as number;
    // IN_ORDER frees in ring order, so the sequential free list stays intact.
    if (!this.inOrder) {
      this.descNext[this.chainLast[id] as number] = this.freeHead;
      this.freeHead = id;
    }
  }

  protected fail(code: DriverRingErrorCode, id: number, len: number): DriverRingError {
    const err = driverRingError('split', code, id, len);
    this.broken = err;
    this.slow = true;
    return err;
  }

  /** Records a used-buffer notification (Linux `event_triggered`); lets {@link disableCallbacks} skip its write. */
  noteInterrupt(): void {
    if (this.eventIdx) this.eventTriggered = true;
  }

  /**
   * Asks the device for no used-buffer notifications: `avail->flags =
   * NO_INTERRUPT` without EVENT_IDX; with EVENT_IDX `used_event = 0` (Linux
   * 6.1's "hack"), because `avail->flags` must stay 0 (`split.usupp.driver.3`).
   */
  disableCallbacks(): void {
    if (this.eventTriggered) return;
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0) return;
    this.availFlagsShadow |= VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (this.eventIdx) this.u16[this.usedEvent16] = 0;
    else this.u16[this.availFlags16] = this.availFlagsShadow;
  }

  /** Re-enables callbacks and returns the opaque value for {@link poll} (Linux `virtqueue_enable_cb_prepare`). */
  enableCallbacksPrepare(): number {
    this.eventTriggered = false;
    this.clearNoInterrupt();
    this.u16[this.usedEvent16] = this.lastUsed;
    return this.lastUsed;
  }

  /** True when used buffers arrived after {@link enableCallbacksPrepare} returned `opaque`. */
  poll(opaque: number): boolean {
    return this.broken === null && this.u16[this.usedIdx16] !== (opaque & 0xffff);
  }

  /** Re-enables callbacks; false when buffers are already pending (process them first). */
  enableCallbacks(): boolean {
    return !this.poll(this.enableCallbacksPrepare());
  }

  /**
   * Re-enables callbacks but asks for a notification only after about 3/4
   * of the outstanding buffers are used (Linux `virtqueue_enable_cb_delayed`).
   * False when that many are already used.
   */
  enableCallbacksDelayed(): boolean {
    this.eventTriggered = false;
    this.clearNoInterrupt();
    const bufs = Math.floor((((this.availShadow - this.lastUsed) & 0xffff) * 3) / 4);
    this.u16[this.usedEvent16] = (this.lastUsed + bufs) & 0xffff;
    return !((((this.u16[this.usedIdx16] as number) - this.lastUsed) & 0xffff) > bufs);
  }

  protected clearNoInterrupt(): void {
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0) return;
    this.availFlagsShadow &= ~VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (!this.eventIdx) this.u16[this.availFlags16] = this.availFlagsShadow;
  }

  /**
   * After a device or queue reset: detaches one buffer the device never
   * used and returns its token, or null when none is left. Rewinds
   * `avail->idx` as Linux does (only legal once the device is reset).
   */
  detachUnused(): T | null {
    for (let id = 0; id < this.size; id++) {
      const token = this.tokens[id];
      if (token === undefined) continue;
      this.tokens[id] = undefined;
      this.release(id);
      this.availShadow = (this.availShadow - 1) & 0xffff;
      this.u16[this.availIdx16] = this.availShadow;
      return token;
    }
    return null;
  }

  /**
   * Re-initialises the queue as after allocation: zeroes the three ring
   * areas, writes the initial indices, rebuilds the free list and clears
   * the broken state. Outstanding tokens are dropped ({@link detachUnused} first).
   */
  reset(): void {
    this.init();
  }

  // The constructor calls init, not reset, so that subclasses overriding reset see their own fields initialised.
  private init(): void {
    const o = this.options;
    const q = this.size;
    this.mem.fill(o.descAddr, virtqDescTableSize(q));
    this.mem.fill(o.driverAddr, virtqAvailRingSize(q));
    this.mem.fill(o.deviceAddr, virtqUsedRingSize(q));
    for (let i = 0; i < q; i++) this.descNext[i] = (i + 1) & this.mask;
    this.tokens.fill(undefined);
    this.completed.fill(0);
    this.freeHead = 0;
    this.free = q;
    const start = o.initialIndex ?? 0;
    this.availShadow = this.lastUsed = start;
    this.u16[this.availIdx16] = start;
    this.u16[this.usedIdx16] = start;
    this.numAdded = 0;
    this.eventTriggered = false;
    this.broken = null;
    this.slow = this.inOrder;
    this.head = -1;
    this.batchId = -1;
    this.availFlagsShadow = 0;
    this.stage.clear();
    // A queue without a callback never wants used-buffer notifications (Linux vring_init).
    if (o.callback === false) {
      this.availFlagsShadow = VIRTQ_AVAIL_F_NO_INTERRUPT;
      if (!this.eventIdx) this.u16[this.availFlags16] = VIRTQ_AVAIL_F_NO_INTERRUPT;
    }
  }
}
