/**
 * State of the driver side of a packed virtqueue and its cold operations:
 * layout, wrap counters, private bookkeeping, kick and callback decisions
 * via the event suppression structures (linux-driver-facts §4.3), detach
 * and reset. The hot paths are in `packed-driver.ts`.
 *
 * @module
 */

import {
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_USED,
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  isPackedDescUsed,
  packEventOffWrap,
  packedNotificationData,
  pvirtqDescRingSize,
  vring_packed_need_event,
} from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { type UsedBuffer, UsedSlot } from './driver-result.js';
import { checkInitialIndex, checkRingLayout, type DriverQueueOptions, indirectEntries } from './queue-config.js';
import { type DriverRingError, type DriverRingErrorCode, driverRingError } from './ring-error.js';
import { SegmentStage } from './segment-stage.js';

/** AVAIL and USED together: flipped on each lap; both set marks a used descriptor of wrap 1. */
const AVAIL_USED = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

/**
 * The state of a packed driver queue and its cold operations (kick and
 * callback decisions, detach, reset); {@link PackedDriverQueue} adds the hot
 * add and collect paths. Only that one class extends it, so every call site
 * stays monomorphic.
 */
export abstract class PackedDriverState<T> {
  readonly format = 'packed' as const;
  // Fields set in the constructor are `declare`d (not emitted as class fields), so V8 records their
  // types from the first store and typed-array accesses on the hot path need no extra map checks.
  /** Queue size. */
  declare readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  declare readonly eventIdx: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: the device may complete a batch with one used descriptor. */
  declare readonly inOrder: boolean;
  /** Segments staged for the next {@link add}. */
  declare readonly stage: SegmentStage;

  protected declare readonly mem: GuestMemory;
  protected declare readonly u16: Uint16Array;
  protected declare readonly u32: Uint32Array;
  protected declare readonly options: DriverQueueOptions;
  protected declare readonly indirectMax: number;
  protected declare readonly indirect32: number;
  protected declare readonly desc32: number;
  protected declare readonly drvOffWrap16: number;
  protected declare readonly drvFlags16: number;
  protected declare readonly devOffWrap16: number;
  protected declare readonly devFlags16: number;

  protected declare readonly idNext: Uint16Array;
  protected declare readonly tokens: (T | undefined)[];
  protected declare readonly chainDescs: Uint16Array;
  protected declare readonly writable: Float64Array;
  protected declare readonly completed: Uint8Array;
  protected declare readonly fifo: Uint16Array;
  protected fifoHead = 0;
  protected fifoTail = 0;
  protected freeId = 0;
  protected free = 0;
  protected nextAvail = 0;
  protected availWrap = 1;
  protected availUsedFlags = VIRTQ_DESC_F_AVAIL;
  protected lastUsed = 0;
  protected usedWrap = 1;
  protected numAdded = 0;
  protected eventFlagsShadow = RING_EVENT_FLAGS_ENABLE;
  protected eventTriggered = false;
  protected broken: DriverRingError | null = null;
  // True when getUsed must take its slow path: broken queue or IN_ORDER.
  protected slow = false;
  protected id = -1;
  protected batchId = -1;
  protected batchLen = 0;
  protected readonly result = new UsedSlot<T>();

  /**
   * Lays the queue out over ring memory, zeroing it (the ring starts
   * zero-initialised, 2.8).
   * @throws RangeError when the layout, initial index or indirect pool is invalid (a front-end bug).
   */
  constructor(mem: GuestMemory, options: DriverQueueOptions) {
    const bad = checkRingLayout(mem, 'packed', options);
    if (bad !== null) throw new RangeError(`packed driver queue: ${bad}`);
    const msg = checkInitialIndex('packed', options.size, options.initialIndex ?? 0x8000);
    if (msg !== null) throw new RangeError(msg);
    const q = options.size;
    this.mem = mem;
    this.u16 = mem.u16;
    this.u32 = mem.u32;
    this.options = options;
    this.size = q;
    this.eventIdx = options.eventIdx ?? false;
    this.inOrder = options.inOrder ?? false;
    this.indirectMax = indirectEntries(mem, options);
    this.indirect32 = (options.indirectArea ?? 0) >>> 2;
    this.desc32 = options.descAddr >>> 2;
    this.drvOffWrap16 = options.driverAddr >>> 1;
    this.drvFlags16 = (options.driverAddr >>> 1) + 1;
    this.devOffWrap16 = options.deviceAddr >>> 1;
    this.devFlags16 = (options.deviceAddr >>> 1) + 1;
    this.idNext = new Uint16Array(q);
    this.tokens = new Array<T | undefined>(q).fill(undefined);
    this.chainDescs = new Uint16Array(q);
    this.writable = new Float64Array(q);
    this.completed = new Uint8Array(q);
    this.fifo = new Uint16Array(q);
    this.stage = new SegmentStage(q);
    this.init();
  }

  /** Free ring slots (Linux `num_free`). */
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

  /** Buffer id of the last successful add, −1 before any. */
  get lastId(): number {
    return this.id;
  }

  /** Next slot the driver will make available, with its wrap counter: `slot | wrap << 15`. */
  get availPosition(): number {
    return packEventOffWrap(this.nextAvail, this.availWrap);
  }

  /** Next slot the driver expects a used descriptor in, with its wrap counter (Linux `last_used_idx`). */
  get usedPosition(): number {
    return packEventOffWrap(this.lastUsed, this.usedWrap);
  }

  protected record(id: number, token: T, descs: number, writable: number): void {
    this.tokens[id] = token;
    this.chainDescs[id] = descs;
    this.writable[id] = writable;
    this.completed[id] = 0;
    if (this.inOrder) {
      this.fifo[this.fifoTail] = id;
      this.fifoTail = this.fifoTail + 1 === this.size ? 0 : this.fifoTail + 1;
    }
    this.id = id;
  }

  /** Next slot after `i`; flips the driver wrap counter after the last slot (`packed.wrap.any.1.driver`). */
  protected step(i: number): number {
    if (i + 1 < this.size) return i + 1;
    this.availWrap ^= 1;
    this.availUsedFlags ^= AVAIL_USED;
    return 0;
  }

  protected writeDesc(d: number, addr: number, len: number, id: number): void {
    const lo = addr >>> 0;
    this.u32[d] = lo;
    this.u32[d + 1] = addr < 4294967296 ? 0 : (addr - lo) / 4294967296;
    this.u32[d + 2] = len;
    this.u16[(d << 1) + 6] = id;
  }

  /**
   * Whether to notify the device about the descriptors added since the last
   * call, from one snapshot of the device event suppression structure, as
   * Linux `virtqueue_kick_prepare_packed`: flags other than DESC mean
   * "notify unless DISABLE"; DESC applies the wrap-adjusted event test
   * (`packed.evsupp.any.2.driver`). A broken queue never kicks.
   *
   * Decision (differs from Linux on purpose): with DESC, when Q or more
   * descriptors were made available since the previous decision, this
   * always kicks. `packed.evsupp.any.1.driver` names one descriptor
   * (`desc_event_off`/`desc_event_wrap`) whose being made available calls
   * for a notification; read literally, a window longer than a lap can
   * contain it in an earlier lap, which `vring_packed_need_event` (one lap
   * only) misses. The harness's packed observer follows the spec literally,
   * so the engine does too; a kick the event did not ask for is always
   * allowed (`packed.evsupp.any.2.driver`), so the test stays one counter
   * compare.
   */
  kickPrepare(): boolean {
    const added = this.numAdded;
    this.numAdded = 0;
    if (this.broken !== null) return false;
    const offWrap = this.u16[this.devOffWrap16] as number;
    const flags = this.u16[this.devFlags16] as number;
    if (flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
    if (added >= this.size) return true;
    return vring_packed_need_event(offWrap, this.availWrap, this.size, this.nextAvail, this.nextAvail - added);
  }

  /** The 32-bit VIRTIO_F_NOTIFICATION_DATA value for a kick of queue `vqIndex` (`packed.notify.driver.1`). */
  notificationData(vqIndex: number): number {
    return packedNotificationData(vqIndex, this.nextAvail, this.availWrap);
  }

  protected completeOldestOfBatch(): UsedBuffer<T> {
    const oldest = this.fifo[this.fifoHead] as number;
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
    const n = this.chainDescs[id] as number;
    this.release(id);
    let pos = this.lastUsed + n;
    if (pos >= this.size) {
      pos -= this.size;
      this.usedWrap ^= 1;
    }
    this.lastUsed = pos;
    if (this.inOrder) this.fifoHead = this.fifoHead + 1 === this.size ? 0 : this.fifoHead + 1;
    if (this.eventFlagsShadow === RING_EVENT_FLAGS_DESC) this.u16[this.drvOffWrap16] = packEventOffWrap(pos, this.usedWrap);
    return r;
  }

  protected release(id: number): void {
    this.free += this.chainDescs[id] as number;
    this.idNext[id] = this.freeId;
    this.freeId = id;
  }

  protected fail(code: DriverRingErrorCode, id: number, len: number): DriverRingError {
    const err = driverRingError('packed', code, id, len);
    this.broken = err;
    this.slow = true;
    return err;
  }

  /** Records a used-buffer notification (Linux `event_triggered`); lets {@link disableCallbacks} skip its write. */
  noteInterrupt(): void {
    if (this.eventIdx) this.eventTriggered = true;
  }

  /** Asks the device for no used-buffer notifications: driver event flags = DISABLE (`packed.op.driver.4`). */
  disableCallbacks(): void {
    if (this.eventTriggered || this.eventFlagsShadow === RING_EVENT_FLAGS_DISABLE) return;
    this.eventFlagsShadow = RING_EVENT_FLAGS_DISABLE;
    this.u16[this.drvFlags16] = RING_EVENT_FLAGS_DISABLE;
  }

  /**
   * Re-enables callbacks (off_wrap = next used slot with EVENT_IDX; flags =
   * DESC or ENABLE) and returns the opaque value for {@link poll}.
   */
  enableCallbacksPrepare(): number {
    this.eventTriggered = false;
    const pos = packEventOffWrap(this.lastUsed, this.usedWrap);
    if (this.eventIdx) this.u16[this.drvOffWrap16] = pos;
    this.clearDisable();
    return pos;
  }

  /** True when the slot named by `opaque` (from {@link enableCallbacksPrepare}) holds a used descriptor. */
  poll(opaque: number): boolean {
    if (this.broken !== null) return false;
    const slot = opaque & 0x7fff;
    return isPackedDescUsed(this.u16[((this.desc32 + (slot << 2)) << 1) + 7] as number, opaque >>> 15);
  }

  /** Re-enables callbacks; false when a used buffer is already pending (process it first). */
  enableCallbacks(): boolean {
    return !this.poll(this.enableCallbacksPrepare());
  }

  /**
   * Re-enables callbacks asking for a notification only after about 3/4 of
   * the outstanding descriptors are used (Linux `virtqueue_enable_cb_delayed`).
   * False when a used buffer is already pending.
   */
  enableCallbacksDelayed(): boolean {
    this.eventTriggered = false;
    if (this.eventIdx) {
      const bufs = Math.floor(((this.size - this.free) * 3) / 4);
      let pos = this.lastUsed + bufs;
      let wrap = this.usedWrap;
      if (pos >= this.size) {
        pos -= this.size;
        wrap ^= 1;
      }
      this.u16[this.drvOffWrap16] = packEventOffWrap(pos, wrap);
    }
    this.clearDisable();
    return !this.poll(packEventOffWrap(this.lastUsed, this.usedWrap));
  }

  protected clearDisable(): void {
    if (this.eventFlagsShadow !== RING_EVENT_FLAGS_DISABLE) return;
    this.eventFlagsShadow = this.eventIdx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
    this.u16[this.drvFlags16] = this.eventFlagsShadow;
  }

  /** After a device or queue reset: detaches one unused buffer and returns its token, or null when none is left. */
  detachUnused(): T | null {
    for (let id = 0; id < this.size; id++) {
      const token = this.tokens[id];
      if (token === undefined) continue;
      this.tokens[id] = undefined;
      this.release(id);
      return token;
    }
    return null;
  }

  /**
   * Re-initialises the queue as after allocation: zeroes the ring and both
   * event areas, rebuilds the id free list and clears the broken state.
   * With a test-only initial index, each slot is given the flags it would
   * carry after the previous lap, so that no stale slot looks available or used.
   */
  reset(): void {
    this.init();
  }

  // The constructor calls init, not reset, so that subclasses overriding reset see their own fields initialised.
  private init(): void {
    const o = this.options;
    const q = this.size;
    this.mem.fill(o.descAddr, pvirtqDescRingSize(q));
    this.mem.fill(o.driverAddr, PVIRTQ_EVENT_SUPPRESS_SIZE);
    this.mem.fill(o.deviceAddr, PVIRTQ_EVENT_SUPPRESS_SIZE);
    const start = o.initialIndex ?? 0x8000;
    const slot = start & 0x7fff;
    const wrap = start >>> 15;
    if (start !== 0x8000) {
      for (let i = 0; i < q; i++) {
        const prevLap = i >= slot ? wrap ^ 1 : wrap;
        this.u16[((this.desc32 + (i << 2)) << 1) + 7] = prevLap !== 0 ? AVAIL_USED : 0;
      }
    }
    for (let i = 0; i < q; i++) this.idNext[i] = i + 1 < q ? i + 1 : 0;
    this.tokens.fill(undefined);
    this.completed.fill(0);
    this.freeId = 0;
    this.free = q;
    this.nextAvail = this.lastUsed = slot;
    this.availWrap = this.usedWrap = wrap;
    this.availUsedFlags = wrap !== 0 ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
    this.fifoHead = this.fifoTail = 0;
    this.numAdded = 0;
    this.eventTriggered = false;
    this.broken = null;
    this.slow = this.inOrder;
    this.id = -1;
    this.batchId = -1;
    this.eventFlagsShadow = RING_EVENT_FLAGS_ENABLE;
    this.stage.clear();
    // A queue without a callback never wants used-buffer notifications (Linux vring_init_packed).
    if (o.callback === false) {
      this.eventFlagsShadow = RING_EVENT_FLAGS_DISABLE;
      this.u16[this.drvFlags16] = RING_EVENT_FLAGS_DISABLE;
    }
  }
}
