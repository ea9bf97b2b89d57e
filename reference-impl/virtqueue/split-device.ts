/**
 * Device side of a split virtqueue (virtio 1.4 section 2.7): pop available
 * chains, push used entries, decide on used-buffer notifications, suppress
 * driver notifications.
 *
 * Never trusts the driver: every index, length, flag and address it reads
 * from the ring is checked, a chain walk stops after at most `size`
 * descriptors, and any violation is returned as a {@link DeviceRingError}
 * (sticky: the queue stays failed until {@link SplitDeviceQueue.reset}).
 *
 * @module
 */

import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  vring_need_event,
} from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { DeviceChain } from './device-chain.js';
import { walkSplitIndirect } from './indirect-table.js';
import { checkInitialIndex, checkRingLayout, type DeviceQueueOptions } from './queue-config.js';
import { type DeviceRingError, type DeviceRingErrorCode, deviceRingError } from './ring-error.js';

/** Device side of one split virtqueue over guest memory. Build it with {@link SplitDeviceQueue.create}. */
export class SplitDeviceQueue {
  readonly format = 'split' as const;
  // Fields set in the constructor are `declare`d (not emitted as class fields), so V8 records their
  // types from the first store and typed-array accesses on the hot path need no extra map checks.
  /** Queue size. */
  declare readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  declare readonly eventIdx: boolean;
  /** VIRTIO_F_INDIRECT_DESC negotiated. */
  declare readonly indirect: boolean;
  /** VIRTIO_F_IN_ORDER negotiated ({@link pushDeferred} allowed). */
  declare readonly inOrder: boolean;

  private declare readonly mem: GuestMemory;
  private declare readonly u16: Uint16Array;
  private declare readonly u32: Uint32Array;
  private declare readonly mask: number;
  private declare readonly initialIndex: number;
  // Element indices into u16/u32, computed once from the validated layout.
  private declare readonly desc32: number;
  private declare readonly availFlags16: number;
  private declare readonly availIdx16: number;
  private declare readonly availRing16: number;
  private declare readonly usedEvent16: number;
  private declare readonly usedFlags16: number;
  private declare readonly usedIdx16: number;
  private declare readonly usedRing32: number;
  private declare readonly availEvent16: number;

  private declare lastAvail: number;
  private declare cachedAvail: number;
  private declare used: number;
  private usedFlags = 0;
  private unsignalled = 0;
  private failure: DeviceRingError | null = null;
  private declare readonly memSize: number;
  private declare readonly headHeld: Uint8Array;
  private readonly pointer = new Uint32Array(5);
  // Chains are recycled last-in first-out, so the chain a pop fills is usually still in the CPU cache.
  private readonly spare: DeviceChain[] = [];
  private readonly all: DeviceChain[] = [];
  private held = 0;
  private popSeq = 0;
  private pushSeq = 0;
  private deferredCount = 0;
  private deferredStart = 0;
  private deferredId = 0;
  private deferredLen = 0;

  /**
   * Validates the layout the driver programmed and returns the queue, or a
   * `queue-size-invalid` / `ring-address-invalid` error. Reads nothing from
   * the rings and writes nothing.
   * @throws RangeError for an invalid test-only `initialIndex` (a harness bug).
   */
  static create(mem: GuestMemory, options: DeviceQueueOptions): SplitDeviceQueue | DeviceRingError {
    const bad = checkRingLayout(mem, 'split', options);
    if (bad !== null) return deviceRingError('split', bad, -1, -1, false, `size ${options.size}`);
    const msg = checkInitialIndex('split', options.size, options.initialIndex ?? 0);
    if (msg !== null) throw new RangeError(msg);
    return new SplitDeviceQueue(mem, options);
  }

  private constructor(mem: GuestMemory, o: DeviceQueueOptions) {
    this.mem = mem;
    this.u16 = mem.u16;
    this.u32 = mem.u32;
    this.size = o.size;
    this.mask = o.size - 1;
    this.eventIdx = o.eventIdx ?? false;
    this.indirect = o.indirect ?? false;
    this.inOrder = o.inOrder ?? false;
    this.initialIndex = o.initialIndex ?? 0;
    this.desc32 = o.descAddr >>> 2;
    const a = o.driverAddr >>> 1;
    this.availFlags16 = a;
    this.availIdx16 = a + 1;
    this.availRing16 = a + 2;
    this.usedEvent16 = a + 2 + o.size;
    const u = o.deviceAddr >>> 1;
    this.usedFlags16 = u;
    this.usedIdx16 = u + 1;
    this.usedRing32 = (o.deviceAddr >>> 2) + 1;
    this.availEvent16 = u + 2 + 4 * o.size;
    this.lastAvail = this.cachedAvail = this.used = this.initialIndex;
    this.memSize = mem.size;
    this.headHeld = new Uint8Array(o.size);
  }

  /** The sticky error, or null while the queue is healthy. */
  get error(): DeviceRingError | null {
    return this.failure;
  }

  /** Next available-ring index the device will read (free-running u16). */
  get lastAvailIdx(): number {
    return this.lastAvail;
  }

  /** The device's used index: `used->idx` as last published (free-running u16). */
  get usedIdx(): number {
    return this.used;
  }

  /** Chains popped and not yet pushed. */
  get inFlight(): number {
    return this.held;
  }

  /**
   * True when the driver has made a buffer available that was not popped
   * yet (or when `avail->idx` is corrupt, which the next {@link pop} reports).
   */
  hasAvailable(): boolean {
    if (this.failure !== null) return false;
    return this.lastAvail !== this.cachedAvail || this.u16[this.availIdx16] !== this.lastAvail;
  }

  /**
   * Takes the next available chain: a validated {@link DeviceChain}, null
   * when the ring is empty, or the error that failed the queue. Reads
   * `avail->idx` only when the cached copy is used up, as vhost does.
   * Work is bounded by the queue size (`framing.device.2`).
   */
  pop(): DeviceChain | DeviceRingError | null {
    if (this.failure !== null) return this.failure;
    const last = this.lastAvail;
    if (last === this.cachedAvail && !this.refill(last)) return this.failure;
    const head = this.u16[this.availRing16 + (last & this.mask)] as number;
    if (head >= this.size || this.headHeld[head] !== 0 || this.held >= this.size) return this.badHead(head);
    const chain = this.spare.pop() ?? this.newChain();
    const err = this.walk(chain, head);
    if (err !== null) {
      this.spare.push(chain);
      return (this.failure = err);
    }
    chain.id = head;
    chain.slot = last;
    chain.held = true;
    chain.seq = this.popSeq;
    this.headHeld[head] = 1;
    this.held++;
    this.lastAvail = (last + 1) & 0xffff;
    this.popSeq = (this.popSeq + 1) | 0;
    return chain;
  }

  /** Re-reads `avail->idx`; false when the ring is empty or the index is corrupt (then the queue has failed). */
  private refill(last: number): boolean {
    const idx = this.u16[this.availIdx16] as number;
    if (((idx - last) & 0xffff) > this.size) {
      this.fail('avail-idx-jump', -1, -1, false, `avail idx ${idx}, last seen ${last}, size ${this.size}`);
      return false;
    }
    this.cachedAvail = idx;
    return idx !== last;
  }

  /** Fails the queue for an unusable head. */
  private badHead(head: number): DeviceRingError {
    if (this.held >= this.size) return this.fail('in-flight-exceeds-size', -1, -1, false, `${this.size} held`);
    if (head >= this.size) return this.fail('head-out-of-range', head);
    return this.fail('head-in-flight', head);
  }

  private newChain(): DeviceChain {
    const chain = new DeviceChain(this);
    this.all.push(chain);
    return chain;
  }

  /**
   * Walks the chain at `head` into `chain`. A direct chain can only be
   * longer than the table by revisiting a descriptor, so `size` steps
   * without an end is a loop; no visited set is needed.
   */
  private walk(chain: DeviceChain, head: number): DeviceRingError | null {
    const u16 = this.u16;
    const u32 = this.u32;
    const size = this.size;
    const memSize = this.memSize;
    let addrs = chain.addr;
    let lens = chain.len;
    let i = head;
    let count = 0;
    let readable = 0;
    let readableBytes = 0;
    let writableBytes = 0;
    let indirectAt = -1;
    for (;;) {
      if (count === size) return this.chainError('chain-loop', head, i);
      const d = this.desc32 + (i << 2);
      const lo = u32[d] as number;
      const len = u32[d + 2] as number;
      const flags = u16[(d << 1) + 6] as number;
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        indirectAt = i;
        break;
      }
      if (len === 0 || u32[d + 1] !== 0 || lo > memSize - len) return this.bufferError(head, i);
      if ((flags & VIRTQ_DESC_F_WRITE) !== 0) writableBytes += len;
      else if (readable !== count) return this.chainError('writable-before-readable', head, i);
      else {
        readable = count + 1;
        readableBytes += len;
      }
      if (count === addrs.length) {
        chain.grow();
        addrs = chain.addr;
        lens = chain.len;
      }
      addrs[count] = lo;
      lens[count] = len;
      count++;
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
      i = u16[(d << 1) + 7] as number;
      if (i >= size) return this.chainError('next-out-of-range', head, (d - this.desc32) >>> 2);
    }
    chain.finish(count, readable, readableBytes, writableBytes);
    return indirectAt < 0 ? null : this.walkIndirect(chain, head, indirectAt);
  }

  private chainError(code: DeviceRingErrorCode, head: number, desc: number): DeviceRingError {
    return deviceRingError('split', code, head, desc);
  }

  /** A direct buffer descriptor with len 0 or outside guest memory. */
  private bufferError(head: number, i: number): DeviceRingError {
    const len = this.u32[this.desc32 + (i << 2) + 2];
    return this.chainError(len === 0 ? 'zero-length-descriptor' : 'address-out-of-range', head, i);
  }

  /** Continues a walk into the indirect table named by descriptor `at`. */
  private walkIndirect(chain: DeviceChain, head: number, at: number): DeviceRingError | null {
    const d = this.desc32 + (at << 2);
    const pointer = this.pointer;
    pointer[0] = at;
    pointer[1] = this.u32[d] as number;
    pointer[2] = this.u32[d + 1] as number;
    pointer[3] = this.u32[d + 2] as number;
    pointer[4] = this.u16[(d << 1) + 6] as number;
    // The pointing descriptor is not a buffer; direct buffers before it count (`split.indirect.driver.3`).
    return walkSplitIndirect(this.mem, this.indirect, chain, head, pointer, this.size - chain.count);
  }

  private fail(code: DeviceRingErrorCode, head = -1, desc = -1, inIndirect = false, detail = ''): DeviceRingError {
    const err = deviceRingError('split', code, head, desc, inIndirect, detail);
    this.failure = err;
    return err;
  }

  /**
   * Returns a chain to the driver: writes the used element (id = head, len),
   * then `used->idx` (`split.used.device.1`). `len` is the number of bytes
   * written into the chain's writable part; it is written as given (u32) so
   * that faulty devices can be modelled.
   * @throws RangeError when `chain` is not in flight on this queue (a device bug).
   */
  push(chain: DeviceChain, len: number): void {
    if (chain.queue !== this || !chain.held) throw new RangeError('push of a chain that is not in flight on this queue');
    if (this.deferredCount > 0) this.flushDeferred();
    const e = this.usedRing32 + ((this.used & this.mask) << 1);
    this.u32[e] = chain.id;
    this.u32[e + 1] = len;
    this.used = (this.used + 1) & 0xffff;
    this.u16[this.usedIdx16] = this.used;
    this.unsignalled++;
    this.release(chain);
  }

  /**
   * IN_ORDER batching: marks `chain` used without writing a used entry yet.
   * {@link flushDeferred} (or the next {@link push}) writes one entry for the
   * whole batch, at the slot of its first buffer, with the id and len of
   * its last, and advances `used->idx` by the batch size (2.7.9).
   * @throws RangeError without IN_ORDER, or when chains are not used in pop order.
   */
  pushDeferred(chain: DeviceChain, len: number): void {
    if (!this.inOrder) throw new RangeError('pushDeferred needs VIRTIO_F_IN_ORDER');
    if (chain.queue !== this || !chain.held) throw new RangeError('push of a chain that is not in flight on this queue');
    if (chain.seq !== this.pushSeq) throw new RangeError('IN_ORDER: chains must be used in the order they were popped');
    if (this.deferredCount === 0) this.deferredStart = this.used;
    this.deferredCount++;
    this.deferredId = chain.id;
    this.deferredLen = len;
    this.release(chain);
  }

  /** Publishes the deferred IN_ORDER batch, if any; returns the number of buffers it covered. */
  flushDeferred(): number {
    const n = this.deferredCount;
    if (n === 0) return 0;
    const e = this.usedRing32 + ((this.deferredStart & this.mask) << 1);
    this.u32[e] = this.deferredId;
    this.u32[e + 1] = this.deferredLen;
    this.used = (this.deferredStart + n) & 0xffff;
    this.u16[this.usedIdx16] = this.used;
    this.unsignalled += n;
    this.deferredCount = 0;
    return n;
  }

  private release(chain: DeviceChain): void {
    chain.held = false;
    this.headHeld[chain.id] = 0;
    this.held--;
    this.pushSeq = (chain.seq + 1) | 0;
    this.spare.push(chain);
  }

  /**
   * Whether the driver must be notified about the used entries published
   * since the previous call. With EVENT_IDX: `vring_need_event(used_event,
   * used_idx, old)` (`split.usupp.device.5`, `split.usupp.device.6`);
   * without: unless `avail->flags` has NO_INTERRUPT (`split.usupp.device.2`,
   * `split.usupp.device.3`). False when nothing was published.
   */
  needsNotify(): boolean {
    const n = this.unsignalled;
    this.unsignalled = 0;
    if (n === 0) return false;
    if (this.eventIdx) {
      if (n > 0xffff) return true;
      return vring_need_event(this.u16[this.usedEvent16] as number, this.used, (this.used - n) & 0xffff);
    }
    return ((this.u16[this.availFlags16] as number) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * Asks the driver for available-buffer notifications again: writes
   * `avail_event` = next index to pop (EVENT_IDX, `split.asupp.device.4`) or
   * clears NO_NOTIFY in `used->flags`. Returns true when buffers are already
   * waiting, so the caller pops again instead of sleeping (the missed-kick
   * stall of QEMU f937309fbdbb, bug D9).
   */
  enableNotifications(): boolean {
    if (this.eventIdx) {
      this.u16[this.availEvent16] = this.lastAvail;
    } else if (this.usedFlags !== 0) {
      this.usedFlags = 0;
      this.u16[this.usedFlags16] = 0;
    }
    return this.hasAvailable();
  }

  /**
   * Hints that the driver need not notify: sets NO_NOTIFY in `used->flags`
   * (`split.asupp.device.2`). With EVENT_IDX `used->flags` must stay 0
   * (`split.asupp.device.3`), so nothing is written; the stale `avail_event`
   * already keeps the driver quiet.
   */
  disableNotifications(): void {
    if (this.eventIdx || this.usedFlags !== 0) return;
    this.usedFlags = VIRTQ_USED_F_NO_NOTIFY;
    this.u16[this.usedFlags16] = VIRTQ_USED_F_NO_NOTIFY;
  }

  /**
   * Queue reset: forgets all state and in-flight chains (chains still held
   * become invalid) and clears the sticky error (`vqreset.device.2`).
   * Writes nothing to guest memory.
   */
  reset(): void {
    this.lastAvail = this.cachedAvail = this.used = this.initialIndex;
    this.usedFlags = 0;
    this.unsignalled = 0;
    this.failure = null;
    for (const chain of this.all) chain.held = false;
    this.spare.length = 0;
    for (const chain of this.all) this.spare.push(chain);
    this.headHeld.fill(0);
    this.held = 0;
    this.popSeq = this.pushSeq = 0;
    this.deferredCount = 0;
  }
}
