/**
 * Driver side of a split virtqueue (virtio 1.4 section 2.7), modelled on
 * Linux 6.1 `virtio_ring.c` (linux-driver-facts §4.2): add chains (direct or
 * indirect), publish `avail->idx` on every add, decide kicks, collect used
 * buffers, suppress callbacks, detach after reset.
 *
 * Never trusts the device: a used entry with a bad id, a repeated
 * completion or an oversized len returns a {@link DriverRingError} and
 * breaks the queue, like Linux `BAD_RING`. Driver bookkeeping (free list,
 * chain lengths, tokens) is private, so a device scribbling on the
 * descriptor table cannot corrupt it.
 *
 * @module
 */

import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  splitNotificationData,
  virtqAvailRingSize,
  virtqDescTableSize,
  virtqUsedRingSize,
  vring_need_event,
} from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import {
  ADD_ADDED,
  ADD_BROKEN,
  ADD_NO_SPACE,
  ADD_NO_SPACE_NOTIFY,
  type AddResult,
  type UsedBuffer,
  UsedSlot,
} from './driver-result.js';
import { checkInitialIndex, checkRingLayout, type DriverQueueOptions, indirectEntries, type Segment } from './queue-config.js';
import { SegmentStage } from './segment-stage.js';
import { type DriverRingError, type DriverRingErrorCode, driverRingError } from './ring-error.js';

/** Driver side of one split virtqueue. `T` is the caller's per-buffer token (never `undefined`). */
export class SplitDriverQueue<T = unknown> {
  readonly format = 'split' as const;
  /** Queue size. */
  declare readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  declare readonly eventIdx: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: descriptors are allocated in ring order. */
  declare readonly inOrder: boolean;
  /** Segments staged for the next {@link add}. */
  declare readonly stage: SegmentStage;

  private declare readonly mem: GuestMemory;
  private declare readonly u16: Uint16Array;
  private declare readonly u32: Uint32Array;
  private declare readonly mask: number;
  private declare readonly options: DriverQueueOptions;
  private declare readonly indirectMax: number;
  private declare readonly indirect32: number;
  private declare readonly desc32: number;
  private declare readonly availFlags16: number;
  private declare readonly availIdx16: number;
  private declare readonly availRing16: number;
  private declare readonly usedEvent16: number;
  private declare readonly usedFlags16: number;
  private declare readonly usedIdx16: number;
  private declare readonly usedRing32: number;
  private declare readonly availEvent16: number;

  // Private shadows, after Linux desc_extra / desc_state.
  private declare readonly descNext: Uint16Array;
  private declare readonly tokens: (T | undefined)[];
  private declare readonly chainDescs: Uint16Array;
  private declare readonly chainLast: Uint16Array;
  private declare readonly writable: Float64Array;
  private declare readonly completed: Uint8Array;
  private declare readonly headAt: Uint16Array;
  private declare readonly seqOf: Uint16Array;
  private freeHead = 0;
  private free = 0;
  private availShadow = 0;
  private numAdded = 0;
  private lastUsed = 0;
  private availFlagsShadow = 0;
  private eventTriggered = false;
  private broken: DriverRingError | null = null;
  // True when getUsed must take its slow path: broken queue or IN_ORDER.
  private slow = false;
  private head = -1;
  private batchId = -1;
  private batchLen = 0;
  private readonly result = new UsedSlot<T>();

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
    this.reset();
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

  /**
   * Makes the staged segments available as one buffer identified by
   * `token`, then clears the stage. Uses an indirect table when negotiated,
   * a pool is configured and the buffer has more than one segment (Linux
   * `virtqueue_use_indirect`). Publishes `avail->idx` at once, after the
   * ring entry (`split.op.driver.4`). Readable segments precede writable
   * ones (`framing.driver.1`).
   * @throws RangeError when nothing is staged or `token` is undefined (Linux BUG_ON).
   */
  add(token: T): AddResult {
    const st = this.stage;
    const outs = st.outCount;
    const total = outs + st.inCount;
    if (total === 1) {
      st.outCount = st.inCount = 0;
      return outs === 1
        ? this.addBuffer(st.outAddr[0] as number, st.outLen[0] as number, false, token)
        : this.addBuffer(st.inAddr[0] as number, st.inLen[0] as number, true, token);
    }
    if (total === 0) throw new RangeError('add with no staged segments');
    if (token === undefined) throw new RangeError('add with an undefined token');
    if (this.broken !== null) {
      st.clear();
      return ADD_BROKEN;
    }
    const useIndirect = total <= this.indirectMax && this.free > 0;
    const descs = useIndirect ? 1 : total;
    if (this.free < descs) {
      st.clear();
      return outs > 0 ? ADD_NO_SPACE_NOTIFY : ADD_NO_SPACE;
    }
    const head = this.freeHead;
    let writable = 0;
    let last = head;
    if (useIndirect) {
      const t = this.indirect32 + head * this.indirectMax * 4;
      for (let n = 0; n < total; n++) {
        const isIn = n >= outs;
        const k = isIn ? n - outs : n;
        const len = isIn ? (st.inLen[k] as number) : (st.outLen[k] as number);
        const flags = (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (isIn ? VIRTQ_DESC_F_WRITE : 0);
        this.writeDesc(t + (n << 2), isIn ? (st.inAddr[k] as number) : (st.outAddr[k] as number), len, flags, n + 1);
        if (isIn) writable += len;
      }
      const tableAddr = (this.options.indirectArea ?? 0) + head * this.indirectMax * 16;
      this.writeDesc(this.desc32 + (head << 2), tableAddr, total * 16, VIRTQ_DESC_F_INDIRECT, this.descNext[head] as number);
      this.completed[head] = 0;
      this.freeHead = this.descNext[head] as number;
    } else {
      let i = head;
      for (let n = 0; n < total; n++) {
        const isIn = n >= outs;
        const k = isIn ? n - outs : n;
        const len = isIn ? (st.inLen[k] as number) : (st.outLen[k] as number);
        const flags = (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (isIn ? VIRTQ_DESC_F_WRITE : 0);
        const next = this.descNext[i] as number;
        this.writeDesc(this.desc32 + (i << 2), isIn ? (st.inAddr[k] as number) : (st.outAddr[k] as number), len, flags, next);
        if (isIn) writable += len;
        this.completed[i] = 0;
        last = i;
        i = next;
      }
      this.freeHead = i;
    }
    st.clear();
    this.free -= descs;
    this.publish(head, token, descs, last, writable);
    return ADD_ADDED;
  }

  /**
   * Allocation-free single-segment add, without staging: one descriptor,
   * device-writable when `writable`. Same rules and results as {@link add}.
   * @throws RangeError when `token` is undefined.
   */
  addBuffer(addr: number, len: number, writable: boolean, token: T): AddResult {
    if (this.free === 0 || this.broken !== null || token === undefined) return this.refuse(writable, token);
    const head = this.freeHead;
    const next = this.descNext[head] as number;
    this.writeDesc(this.desc32 + (head << 2), addr, len, writable ? VIRTQ_DESC_F_WRITE : 0, next);
    this.completed[head] = 0;
    this.freeHead = next;
    this.free--;
    this.publish(head, token, 1, head, writable ? len : 0);
    return ADD_ADDED;
  }

  private refuse(writable: boolean, token: T): AddResult {
    if (token === undefined) throw new RangeError('add with an undefined token');
    if (this.broken !== null) return ADD_BROKEN;
    return writable ? ADD_NO_SPACE : ADD_NO_SPACE_NOTIFY;
  }

  /** Records the buffer and publishes its head: ring entry first, then `avail->idx` (`split.op.driver.4`). */
  private publish(head: number, token: T, descs: number, last: number, writable: number): void {
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

  private writeDesc(d: number, addr: number, len: number, flags: number, next: number): void {
    const lo = addr >>> 0;
    this.u32[d] = lo;
    this.u32[d + 1] = addr < 4294967296 ? 0 : (addr - lo) / 4294967296;
    this.u32[d + 2] = len;
    this.u16[(d << 1) + 6] = flags;
    this.u16[(d << 1) + 7] = next;
  }

  /** Convenience form of {@link add}: stages `out` (device-readable) then `in` (device-writable) segments. */
  addSgs(out: readonly Segment[], inn: readonly Segment[], token: T): AddResult {
    this.stage.clear();
    for (const s of out) this.stage.out(s.addr, s.len);
    for (const s of inn) this.stage.in(s.addr, s.len);
    return this.add(token);
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

  /**
   * Collects the next used buffer: its token and used len (a shared object,
   * valid until the next call), null when there is none or the queue is
   * broken, or the {@link DriverRingError} that just broke the queue.
   * With IN_ORDER a single used entry may complete a batch (2.7.9); the
   * skipped buffers report their full writable length.
   */
  getUsed(): UsedBuffer<T> | DriverRingError | null {
    // Kept small so V8 inlines it; broken queues and IN_ORDER take the slow path.
    if (this.slow) return this.getUsedSlow();
    const last = this.lastUsed;
    if (this.u16[this.usedIdx16] === last) return null;
    const e = this.usedRing32 + ((last & this.mask) << 1);
    const id = this.u32[e] as number;
    const len = this.u32[e + 1] as number;
    if (id >= this.size) return this.usedError(id, len);
    const token = this.tokens[id];
    if (token === undefined || len > (this.writable[id] as number)) return this.usedError(id, len);
    this.tokens[id] = undefined;
    this.completed[id] = 1;
    this.free += this.chainDescs[id] as number;
    this.descNext[this.chainLast[id] as number] = this.freeHead;
    this.freeHead = id;
    this.lastUsed = (last + 1) & 0xffff;
    if ((this.availFlagsShadow & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0) this.u16[this.usedEvent16] = this.lastUsed;
    const r = this.result;
    r.token = token;
    r.len = len;
    return r;
  }

  /** Why a used entry is refused; breaks the queue. */
  private usedError(id: number, len: number): DriverRingError {
    if (id >= this.size) return this.fail('used-id-out-of-range', id, len);
    if (this.tokens[id] === undefined) {
      return this.fail(this.completed[id] !== 0 ? 'used-id-double-completion' : 'used-id-not-a-head', id, len);
    }
    return this.fail('used-len-exceeds-writable', id, len);
  }

  /** getUsed for a broken queue or with IN_ORDER, where one used entry may complete a batch (2.7.9). */
  private getUsedSlow(): UsedBuffer<T> | DriverRingError | null {
    if (this.broken !== null) return null;
    if (this.batchId >= 0) return this.completeOldestOfBatch();
    const usedIdx = this.u16[this.usedIdx16] as number;
    if (usedIdx === this.lastUsed) return null;
    const e = this.usedRing32 + ((this.lastUsed & this.mask) << 1);
    const id = this.u32[e] as number;
    const len = this.u32[e + 1] as number;
    if (id >= this.size || this.tokens[id] === undefined || len > (this.writable[id] as number)) return this.usedError(id, len);
    if (id !== this.headAt[this.lastUsed & this.mask]) {
      if ((((this.seqOf[id] as number) - this.lastUsed) & 0xffff) >= ((usedIdx - this.lastUsed) & 0xffff)) {
        return this.fail('used-batch-out-of-range', id, len);
      }
      this.batchId = id;
      this.batchLen = len;
      return this.completeOldestOfBatch();
    }
    return this.complete(id, len);
  }

  private completeOldestOfBatch(): UsedBuffer<T> {
    const oldest = this.headAt[this.lastUsed & this.mask] as number;
    if (oldest !== this.batchId) return this.complete(oldest, this.writable[oldest] as number);
    this.batchId = -1;
    return this.complete(oldest, this.batchLen);
  }

  private complete(id: number, len: number): UsedBuffer<T> {
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

  private release(id: number): void {
    this.free += this.chainDescs[id] as number;
    // IN_ORDER frees in ring order, so the sequential free list stays intact.
    if (!this.inOrder) {
      this.descNext[this.chainLast[id] as number] = this.freeHead;
      this.freeHead = id;
    }
  }

  private fail(code: DriverRingErrorCode, id: number, len: number): DriverRingError {
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

  private clearNoInterrupt(): void {
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
