/**
 * Driver side of a packed virtqueue (virtio 1.4 section 2.8), modelled on
 * Linux 6.1 `virtio_ring.c` (linux-driver-facts §4.3): add lists (direct or
 * indirect) with the head flags written last, decide kicks from the device
 * event suppression structure, collect used descriptors skipping each
 * buffer's slots, suppress callbacks via the driver event suppression
 * structure.
 *
 * Never trusts the device: a bad id, a repeated completion or an oversized
 * len returns a {@link DriverRingError} and breaks the queue.
 *
 * @module
 */

import {
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  isPackedDescUsed,
  packEventOffWrap,
  packedNotificationData,
  pvirtqDescRingSize,
  vring_packed_need_event,
} from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { ADD_ADDED, ADD_BROKEN, ADD_NO_SPACE, type AddResult, type UsedBuffer, UsedSlot } from './driver-result.js';
import { checkInitialIndex, checkRingLayout, type DriverQueueOptions, indirectEntries, type Segment } from './queue-config.js';
import { type DriverRingError, type DriverRingErrorCode, driverRingError } from './ring-error.js';
import { SegmentStage } from './segment-stage.js';

const AVAIL_USED = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

/** Driver side of one packed virtqueue. `T` is the caller's per-buffer token (never `undefined`). */
export class PackedDriverQueue<T = unknown> {
  readonly format = 'packed' as const;
  /** Queue size. */
  declare readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  declare readonly eventIdx: boolean;
  /** VIRTIO_F_IN_ORDER negotiated: the device may complete a batch with one used descriptor. */
  declare readonly inOrder: boolean;
  /** Segments staged for the next {@link add}. */
  declare readonly stage: SegmentStage;

  private declare readonly mem: GuestMemory;
  private declare readonly u16: Uint16Array;
  private declare readonly u32: Uint32Array;
  private declare readonly options: DriverQueueOptions;
  private declare readonly indirectMax: number;
  private declare readonly indirect32: number;
  private declare readonly desc32: number;
  private declare readonly drvOffWrap16: number;
  private declare readonly drvFlags16: number;
  private declare readonly devOffWrap16: number;
  private declare readonly devFlags16: number;

  private declare readonly idNext: Uint16Array;
  private declare readonly tokens: (T | undefined)[];
  private declare readonly chainDescs: Uint16Array;
  private declare readonly writable: Float64Array;
  private declare readonly completed: Uint8Array;
  private declare readonly fifo: Uint16Array;
  private fifoHead = 0;
  private fifoTail = 0;
  private freeId = 0;
  private free = 0;
  private nextAvail = 0;
  private availWrap = 1;
  private availUsedFlags = VIRTQ_DESC_F_AVAIL;
  private lastUsed = 0;
  private usedWrap = 1;
  private numAdded = 0;
  private eventFlagsShadow = RING_EVENT_FLAGS_ENABLE;
  private eventTriggered = false;
  private broken: DriverRingError | null = null;
  private id = -1;
  private batchId = -1;
  private batchLen = 0;
  private readonly result = new UsedSlot<T>();

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
    this.reset();
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

  /**
   * Makes the staged segments available as one buffer identified by
   * `token`, then clears the stage. Every descriptor carries the buffer id
   * and the AVAIL/USED bits of its slot's lap; the head's flags are written
   * last (`packed.sg.driver.6`). Uses an indirect table when negotiated, a
   * pool is configured and there is more than one segment.
   * @throws RangeError when nothing is staged or `token` is undefined (Linux BUG_ON).
   */
  add(token: T): AddResult {
    const st = this.stage;
    const outs = st.outCount;
    const total = outs + st.inCount;
    if (total === 0) throw new RangeError('add with no staged segments');
    if (token === undefined) throw new RangeError('add with an undefined token');
    if (this.broken !== null) {
      st.clear();
      return ADD_BROKEN;
    }
    const useIndirect = total > 1 && total <= this.indirectMax && this.free > 0;
    const descs = useIndirect ? 1 : total;
    // Room for the whole list before the first descriptor is published (`packed.sg.driver.5`).
    if (this.free < descs) {
      st.clear();
      return ADD_NO_SPACE;
    }
    const id = this.freeId;
    this.freeId = this.idNext[id] as number;
    const head = this.nextAvail;
    const headFlags = this.availUsedFlags | (useIndirect ? VIRTQ_DESC_F_INDIRECT : total > 1 ? VIRTQ_DESC_F_NEXT : 0) |
      (!useIndirect && outs === 0 ? VIRTQ_DESC_F_WRITE : 0);
    let writable = 0;
    let i = head;
    if (useIndirect) {
      const t = this.indirect32 + id * this.indirectMax * 4;
      for (let n = 0; n < total; n++) {
        const isIn = n >= outs;
        const k = isIn ? n - outs : n;
        const len = isIn ? (st.inLen[k] as number) : (st.outLen[k] as number);
        this.writeDesc(t + (n << 2), isIn ? (st.inAddr[k] as number) : (st.outAddr[k] as number), len, 0);
        this.u16[((t + (n << 2)) << 1) + 7] = isIn ? VIRTQ_DESC_F_WRITE : 0;
        if (isIn) writable += len;
      }
      this.writeDesc(this.desc32 + (head << 2), (this.options.indirectArea ?? 0) + id * this.indirectMax * 16, total * 16, id);
      i = this.step(i);
    } else {
      for (let n = 0; n < total; n++) {
        const isIn = n >= outs;
        const k = isIn ? n - outs : n;
        const len = isIn ? (st.inLen[k] as number) : (st.outLen[k] as number);
        const d = this.desc32 + (i << 2);
        this.writeDesc(d, isIn ? (st.inAddr[k] as number) : (st.outAddr[k] as number), len, id);
        if (n > 0) {
          this.u16[(d << 1) + 7] =
            this.availUsedFlags | (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (isIn ? VIRTQ_DESC_F_WRITE : 0);
        }
        if (isIn) writable += len;
        i = this.step(i);
      }
    }
    this.u16[((this.desc32 + (head << 2)) << 1) + 7] = headFlags;
    st.clear();
    this.nextAvail = i;
    this.free -= descs;
    this.numAdded += descs;
    this.tokens[id] = token;
    this.chainDescs[id] = descs;
    this.writable[id] = writable;
    this.completed[id] = 0;
    if (this.inOrder) {
      this.fifo[this.fifoTail] = id;
      this.fifoTail = this.fifoTail + 1 === this.size ? 0 : this.fifoTail + 1;
    }
    this.id = id;
    return ADD_ADDED;
  }

  /** Next slot after `i`; flips the driver wrap counter after the last slot (`packed.wrap.any.1.driver`). */
  private step(i: number): number {
    if (i + 1 < this.size) return i + 1;
    this.availWrap ^= 1;
    this.availUsedFlags ^= AVAIL_USED;
    return 0;
  }

  private writeDesc(d: number, addr: number, len: number, id: number): void {
    const lo = addr >>> 0;
    this.u32[d] = lo;
    this.u32[d + 1] = addr < 4294967296 ? 0 : (addr - lo) / 4294967296;
    this.u32[d + 2] = len;
    this.u16[(d << 1) + 6] = id;
  }

  /** Convenience form of {@link add}: stages `out` (device-readable) then `in` (device-writable) segments. */
  addSgs(out: readonly Segment[], inn: readonly Segment[], token: T): AddResult {
    this.stage.clear();
    for (const s of out) this.stage.out(s.addr, s.len);
    for (const s of inn) this.stage.in(s.addr, s.len);
    return this.add(token);
  }

  /**
   * Whether to notify the device about the descriptors added since the last
   * call, from one snapshot of the device event suppression structure, as
   * Linux `virtqueue_kick_prepare_packed`: flags other than DESC mean
   * "notify unless DISABLE"; DESC applies the wrap-adjusted event test
   * (`packed.evsupp.any.2.driver`). A broken queue never kicks.
   */
  kickPrepare(): boolean {
    const added = this.numAdded;
    this.numAdded = 0;
    if (this.broken !== null) return false;
    const offWrap = this.u16[this.devOffWrap16] as number;
    const flags = this.u16[this.devFlags16] as number;
    if (flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
    if (added > 0xffff) return true;
    return vring_packed_need_event(offWrap, this.availWrap, this.size, this.nextAvail, this.nextAvail - added);
  }

  /** The 32-bit VIRTIO_F_NOTIFICATION_DATA value for a kick of queue `vqIndex` (`packed.notify.driver.1`). */
  notificationData(vqIndex: number): number {
    return packedNotificationData(vqIndex, this.nextAvail, this.availWrap);
  }

  /**
   * Collects the next used buffer: its token and used len (a shared object,
   * valid until the next call), null when the next slot is not used yet or
   * the queue is broken, or the {@link DriverRingError} that just broke the
   * queue. A used descriptor without WRITE reports len 0 (its len is
   * reserved, `packed.used.device.1`). With IN_ORDER one used descriptor
   * may complete a batch; the skipped buffers report their full writable length.
   */
  getUsed(): UsedBuffer<T> | DriverRingError | null {
    if (this.broken !== null) return null;
    if (this.batchId >= 0) return this.completeOldestOfBatch();
    const d = this.desc32 + (this.lastUsed << 2);
    const flags = this.u16[(d << 1) + 7] as number;
    if (!isPackedDescUsed(flags, this.usedWrap)) return null;
    const id = this.u16[(d << 1) + 6] as number;
    const len = (flags & VIRTQ_DESC_F_WRITE) !== 0 ? (this.u32[d + 2] as number) : 0;
    if (id >= this.size) return this.fail('used-id-out-of-range', id, len);
    if (this.tokens[id] === undefined) {
      return this.fail(this.completed[id] !== 0 ? 'used-id-double-completion' : 'used-id-not-a-head', id, len);
    }
    if (len > (this.writable[id] as number)) return this.fail('used-len-exceeds-writable', id, len);
    if (this.inOrder && id !== this.fifo[this.fifoHead]) {
      this.batchId = id;
      this.batchLen = len;
      return this.completeOldestOfBatch();
    }
    return this.complete(id, len);
  }

  private completeOldestOfBatch(): UsedBuffer<T> {
    const oldest = this.fifo[this.fifoHead] as number;
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

  private release(id: number): void {
    this.free += this.chainDescs[id] as number;
    this.idNext[id] = this.freeId;
    this.freeId = id;
  }

  private fail(code: DriverRingErrorCode, id: number, len: number): DriverRingError {
    const err = driverRingError('packed', code, id, len);
    this.broken = err;
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

  private clearDisable(): void {
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
