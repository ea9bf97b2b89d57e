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
} from '../../specs/virtqueue/index.js';
import { ADD_ADDED, ADD_BROKEN, ADD_NO_SPACE, ADD_NO_SPACE_NOTIFY, type AddResult, type UsedBuffer } from './driver-result.js';
import type { Segment } from './queue-config.js';
import type { DriverRingError } from './ring-error.js';
import { SplitDriverState } from './split-driver-state.js';

/** Driver side of one split virtqueue. `T` is the caller's per-buffer token (never `undefined`). */
export class SplitDriverQueue<T = unknown> extends SplitDriverState<T> {
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
    // Kept small so V8 can inline it: one-segment, indirect, refused and full cases go elsewhere.
    if (total < 2 || total <= this.indirectMax || this.free < total || this.broken !== null || token === undefined) {
      return this.addOther(token);
    }
    const descNext = this.descNext;
    const head = this.freeHead;
    let i = head;
    let last = head;
    let writable = 0;
    for (let n = 0; n < total; n++) {
      const next = descNext[i] as number;
      const isIn = n >= outs;
      const len = isIn ? (st.inLen[n - outs] as number) : (st.outLen[n] as number);
      const addr = isIn ? (st.inAddr[n - outs] as number) : (st.outAddr[n] as number);
      const more = n + 1 < total ? VIRTQ_DESC_F_NEXT : 0;
      this.writeDesc(this.desc32 + (i << 2), addr, len, isIn ? more | VIRTQ_DESC_F_WRITE : more, next);
      if (isIn) writable += len;
      this.completed[i] = 0;
      last = i;
      i = next;
    }
    st.outCount = st.inCount = 0;
    this.freeHead = i;
    this.free -= total;
    this.publish(head, token, total, last, writable);
    return ADD_ADDED;
  }

  /** The cases {@link add} leaves out of its fast path. */
  protected addOther(token: T): AddResult {
    const st = this.stage;
    const outs = st.outCount;
    const total = outs + st.inCount;
    if (total === 1) {
      st.clear();
      return outs === 1
        ? this.addBuffer(st.outAddr[0] as number, st.outLen[0] as number, false, token)
        : this.addBuffer(st.inAddr[0] as number, st.inLen[0] as number, true, token);
    }
    if (total === 0 || token === undefined || this.broken !== null) return this.refuseStaged(token);
    if (total <= this.indirectMax && this.free > 0) return this.addIndirect(token);
    st.clear();
    return outs > 0 ? ADD_NO_SPACE_NOTIFY : ADD_NO_SPACE;
  }

  protected refuseStaged(token: T): AddResult {
    if (this.stage.count === 0) throw new RangeError('add with no staged segments');
    if (token === undefined) throw new RangeError('add with an undefined token');
    this.stage.clear();
    return ADD_BROKEN;
  }

  /** One INDIRECT descriptor pointing at the head's table in the pool (Linux `virtqueue_add_desc_split` with indirect). */
  protected addIndirect(token: T): AddResult {
    const st = this.stage;
    const outs = st.outCount;
    const total = outs + st.inCount;
    const head = this.freeHead;
    const t = this.indirect32 + head * this.indirectMax * 4;
    let writable = 0;
    for (let n = 0; n < total; n++) {
      const isIn = n >= outs;
      const k = isIn ? n - outs : n;
      const len = isIn ? (st.inLen[k] as number) : (st.outLen[k] as number);
      const flags = (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (isIn ? VIRTQ_DESC_F_WRITE : 0);
      this.writeDesc(t + (n << 2), isIn ? (st.inAddr[k] as number) : (st.outAddr[k] as number), len, flags, n + 1);
      if (isIn) writable += len;
    }
    const tableAddr = (this.options.indirectArea ?? 0) + head * this.indirectMax * 16;
    const next = this.descNext[head] as number;
    this.writeDesc(this.desc32 + (head << 2), tableAddr, total * 16, VIRTQ_DESC_F_INDIRECT, next);
    this.completed[head] = 0;
    this.freeHead = next;
    st.clear();
    this.free--;
    this.publish(head, token, 1, head, writable);
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

  protected refuse(writable: boolean, token: T): AddResult {
    if (token === undefined) throw new RangeError('add with an undefined token');
    if (this.broken !== null) return ADD_BROKEN;
    return writable ? ADD_NO_SPACE : ADD_NO_SPACE_NOTIFY;
  }

  /** Convenience form of {@link add}: stages `out` (device-readable) then `in` (device-writable) segments. */
  addSgs(out: readonly Segment[], inn: readonly Segment[], token: T): AddResult {
    this.stage.clear();
    for (const s of out) this.stage.out(s.addr, s.len);
    for (const s of inn) this.stage.in(s.addr, s.len);
    return this.add(token);
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
  protected usedError(id: number, len: number): DriverRingError {
    if (id >= this.size) return this.fail('used-id-out-of-range', id, len);
    if (this.tokens[id] === undefined) {
      return this.fail(this.completed[id] !== 0 ? 'used-id-double-completion' : 'used-id-not-a-head', id, len);
    }
    return this.fail('used-len-exceeds-writable', id, len);
  }

  /** getUsed for a broken queue or with IN_ORDER, where one used entry may complete a batch (2.7.9). */
  protected getUsedSlow(): UsedBuffer<T> | DriverRingError | null {
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
}
