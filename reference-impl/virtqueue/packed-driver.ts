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
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  isPackedDescUsed,
} from '../../specs/virtqueue/index.js';
import { ADD_ADDED, ADD_BROKEN, ADD_NO_SPACE, type AddResult, type UsedBuffer } from './driver-result.js';
import { PackedDriverState } from './packed-driver-state.js';
import type { Segment } from './queue-config.js';
import type { DriverRingError } from './ring-error.js';

/** Driver side of one packed virtqueue. `T` is the caller's per-buffer token (never `undefined`). */
export class PackedDriverQueue<T = unknown> extends PackedDriverState<T> {
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
    this.record(id, token, descs, writable);
    return ADD_ADDED;
  }

  /**
   * Allocation-free single-segment add, without staging: one descriptor,
   * device-writable when `writable`. Same rules and results as {@link add}.
   * @throws RangeError when `token` is undefined.
   */
  addBuffer(addr: number, len: number, writable: boolean, token: T): AddResult {
    if (this.free === 0 || this.broken !== null || token === undefined) return this.refuse(token);
    const id = this.freeId;
    this.freeId = this.idNext[id] as number;
    const head = this.nextAvail;
    const d = this.desc32 + (head << 2);
    this.writeDesc(d, addr, len, id);
    const flags = this.availUsedFlags | (writable ? VIRTQ_DESC_F_WRITE : 0);
    this.nextAvail = this.step(head);
    // Flags last: they publish the descriptor (`packed.sg.driver.6`).
    this.u16[(d << 1) + 7] = flags;
    this.free--;
    this.numAdded++;
    this.record(id, token, 1, writable ? len : 0);
    return ADD_ADDED;
  }

  protected refuse(token: T): AddResult {
    if (token === undefined) throw new RangeError('add with an undefined token');
    return this.broken !== null ? ADD_BROKEN : ADD_NO_SPACE;
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
   * valid until the next call), null when the next slot is not used yet or
   * the queue is broken, or the {@link DriverRingError} that just broke the
   * queue. A used descriptor without WRITE reports len 0 (its len is
   * reserved, `packed.used.device.1`). With IN_ORDER one used descriptor
   * may complete a batch; the skipped buffers report their full writable length.
   */
  getUsed(): UsedBuffer<T> | DriverRingError | null {
    // Kept small so V8 inlines it; broken queues and IN_ORDER take the slow path.
    if (this.slow) return this.getUsedSlow();
    const d = this.desc32 + (this.lastUsed << 2);
    const flags = this.u16[(d << 1) + 7] as number;
    const w = this.usedWrap;
    if (((flags >>> 7) & 1) !== w || flags >>> 15 !== w) return null;
    const id = this.u16[(d << 1) + 6] as number;
    const len = (flags & VIRTQ_DESC_F_WRITE) !== 0 ? (this.u32[d + 2] as number) : 0;
    if (id >= this.size || this.tokens[id] === undefined || len > (this.writable[id] as number)) return this.usedError(id, len);
    return this.complete(id, len);
  }

  /** Why a used descriptor is refused; breaks the queue. */
  protected usedError(id: number, len: number): DriverRingError {
    if (id >= this.size) return this.fail('used-id-out-of-range', id, len);
    if (this.tokens[id] === undefined) {
      return this.fail(this.completed[id] !== 0 ? 'used-id-double-completion' : 'used-id-not-a-head', id, len);
    }
    return this.fail('used-len-exceeds-writable', id, len);
  }

  /** getUsed for a broken queue or with IN_ORDER, where one used descriptor may complete a batch. */
  protected getUsedSlow(): UsedBuffer<T> | DriverRingError | null {
    if (this.broken !== null) return null;
    if (this.batchId >= 0) return this.completeOldestOfBatch();
    const d = this.desc32 + (this.lastUsed << 2);
    const flags = this.u16[(d << 1) + 7] as number;
    if (!isPackedDescUsed(flags, this.usedWrap)) return null;
    const id = this.u16[(d << 1) + 6] as number;
    const len = (flags & VIRTQ_DESC_F_WRITE) !== 0 ? (this.u32[d + 2] as number) : 0;
    if (id >= this.size || this.tokens[id] === undefined || len > (this.writable[id] as number)) return this.usedError(id, len);
    if (id !== this.fifo[this.fifoHead]) {
      this.batchId = id;
      this.batchLen = len;
      return this.completeOldestOfBatch();
    }
    return this.complete(id, len);
  }
}
