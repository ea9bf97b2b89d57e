/**
 * Device side of a packed virtqueue (virtio 1.4 section 2.8): pop available
 * descriptor lists in ring order, write one used descriptor per buffer,
 * decide on used-buffer notifications via the driver event suppression
 * structure, and suppress driver notifications via the device one.
 *
 * Never trusts the driver: every flag, length and address is checked, a
 * list walk stops after at most `size` descriptors, and any violation is a
 * sticky {@link DeviceRingError}.
 *
 * @module
 */

import {
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  RING_EVENT_FLAGS_MASK,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  packEventOffWrap,
  vring_packed_need_event,
} from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { DeviceChain } from './device-chain.js';
import { walkPackedIndirect } from './indirect-table.js';
import { checkInitialIndex, checkRingLayout, type DeviceQueueOptions } from './queue-config.js';
import { type DeviceRingError, type DeviceRingErrorCode, deviceRingError } from './ring-error.js';

/** AVAIL = w and USED = !w: the descriptor is available to a reader with wrap counter `w`. */
function isAvail(flags: number, w: number): boolean {
  return ((flags >>> 7) & 1) === w && flags >>> 15 !== w;
}

/** Device side of one packed virtqueue. Build it with {@link PackedDeviceQueue.create}. */
export class PackedDeviceQueue {
  readonly format = 'packed' as const;
  // Fields set in the constructor are `declare`d (not emitted as class fields), so V8 records their
  // types from the first store and typed-array accesses on the hot path need no extra map checks.
  /** Queue size. */
  declare readonly size: number;
  /** VIRTIO_F_EVENT_IDX negotiated (RING_EVENT_FLAGS_DESC usable). */
  declare readonly eventIdx: boolean;
  /** VIRTIO_F_INDIRECT_DESC negotiated. */
  declare readonly indirect: boolean;
  /** VIRTIO_F_IN_ORDER negotiated ({@link pushDeferred} allowed). */
  declare readonly inOrder: boolean;

  private declare readonly mem: GuestMemory;
  private declare readonly u16: Uint16Array;
  private declare readonly u32: Uint32Array;
  private declare readonly initialIndex: number;
  private declare readonly desc32: number;
  private declare readonly drvOffWrap16: number;
  private declare readonly drvFlags16: number;
  private declare readonly devOffWrap16: number;
  private declare readonly devFlags16: number;

  private availPos = 0;
  private availWrap = 1;
  private usedPos = 0;
  private usedWrap = 1;
  private unsignalled = 0;
  private failure: DeviceRingError | null = null;
  private declare readonly memSize: number;
  private readonly idHeld = new Uint8Array(0x10000);
  private readonly pointer = new Uint32Array(5);
  // Chains are recycled last-in first-out, so the chain a pop fills is usually still in the CPU cache.
  private readonly spare: DeviceChain[] = [];
  private readonly all: DeviceChain[] = [];
  private held = 0;
  private popSeq = 0;
  private pushSeq = 0;
  private deferredCount = 0;
  private deferredSlots = 0;
  private deferredPos = 0;
  private deferredWrap = 0;
  private deferredId = 0;
  private deferredLen = 0;
  private deferredWrite = false;

  /**
   * Validates the layout the driver programmed and returns the queue, or a
   * `queue-size-invalid` / `ring-address-invalid` error. Writes nothing.
   * @throws RangeError for an invalid test-only `initialIndex` (a harness bug).
   */
  static create(mem: GuestMemory, options: DeviceQueueOptions): PackedDeviceQueue | DeviceRingError {
    const bad = checkRingLayout(mem, 'packed', options);
    if (bad !== null) return deviceRingError('packed', bad, -1, -1, false, `size ${options.size}`);
    const msg = checkInitialIndex('packed', options.size, options.initialIndex ?? 0x8000);
    if (msg !== null) throw new RangeError(msg);
    return new PackedDeviceQueue(mem, options);
  }

  private constructor(mem: GuestMemory, o: DeviceQueueOptions) {
    this.mem = mem;
    this.u16 = mem.u16;
    this.u32 = mem.u32;
    this.size = o.size;
    this.eventIdx = o.eventIdx ?? false;
    this.indirect = o.indirect ?? false;
    this.inOrder = o.inOrder ?? false;
    this.initialIndex = o.initialIndex ?? 0x8000;
    this.desc32 = o.descAddr >>> 2;
    this.drvOffWrap16 = o.driverAddr >>> 1;
    this.drvFlags16 = (o.driverAddr >>> 1) + 1;
    this.devOffWrap16 = o.deviceAddr >>> 1;
    this.devFlags16 = (o.deviceAddr >>> 1) + 1;
    this.memSize = mem.size;
    this.init();
  }

  /** The sticky error, or null while the queue is healthy. */
  get error(): DeviceRingError | null {
    return this.failure;
  }

  /** Next ring slot the device will read, with its wrap counter: `slot | wrap << 15`. */
  get nextAvail(): number {
    return packEventOffWrap(this.availPos, this.availWrap);
  }

  /** Next ring slot the device will write a used descriptor to: `slot | wrap << 15`. */
  get nextUsed(): number {
    return packEventOffWrap(this.usedPos, this.usedWrap);
  }

  /** Chains popped and not yet pushed. */
  get inFlight(): number {
    return this.held;
  }

  /** True when the descriptor at the next slot is available (`packed.desc.device.3`). */
  hasAvailable(): boolean {
    if (this.failure !== null) return false;
    return isAvail(this.u16[((this.desc32 + (this.availPos << 2)) << 1) + 7] as number, this.availWrap);
  }

  /**
   * Takes the next available list in ring order (`packed.order.device.1`):
   * a validated {@link DeviceChain}, null when the next slot is not
   * available, or the error that failed the queue. The buffer id is read
   * from the last descriptor (`packed.chain.driver.1`).
   */
  pop(): DeviceChain | DeviceRingError | null {
    if (this.failure !== null) return this.failure;
    const slot = this.availPos;
    if (!isAvail(this.u16[((this.desc32 + (slot << 2)) << 1) + 7] as number, this.availWrap)) return null;
    if (this.held >= this.size) return this.fail('in-flight-exceeds-size', slot);
    const chain = this.spare.pop() ?? this.newChain();
    const err = this.walk(chain, slot);
    if (err !== null) {
      this.spare.push(chain);
      return (this.failure = err);
    }
    const id = chain.id;
    if (this.idHeld[id] !== 0) {
      this.spare.push(chain);
      return this.fail('buffer-id-in-flight', slot, -1, `id ${id}`);
    }
    this.idHeld[id] = 1;
    chain.slot = slot;
    chain.held = true;
    chain.seq = this.popSeq;
    this.held++;
    let pos = slot + chain.ringDescs;
    if (pos >= this.size) {
      pos -= this.size;
      this.availWrap ^= 1;
    }
    this.availPos = pos;
    this.popSeq = (this.popSeq + 1) | 0;
    return chain;
  }

  private newChain(): DeviceChain {
    const chain = new DeviceChain(this);
    this.all.push(chain);
    return chain;
  }

  private walk(chain: DeviceChain, slot: number): DeviceRingError | null {
    const u16 = this.u16;
    const u32 = this.u32;
    const size = this.size;
    const memSize = this.memSize;
    let addrs = chain.addr;
    let lens = chain.len;
    let i = slot;
    let w = this.availWrap;
    let count = 0;
    let readable = 0;
    let readableBytes = 0;
    let writableBytes = 0;
    for (;;) {
      if (count === size) return deviceRingError('packed', 'chain-too-long', slot, i);
      const d = this.desc32 + (i << 2);
      const flags = u16[(d << 1) + 7] as number;
      // Every descriptor of a list carries the right AVAIL/USED bits (`packed.chain.driver.2`).
      if (count > 0 && !isAvail(flags, w)) return deviceRingError('packed', 'packed-desc-not-available', slot, i);
      const lo = u32[d] as number;
      const hi = u32[d + 1] as number;
      const len = u32[d + 2] as number;
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        if (count > 0) return deviceRingError('packed', 'indirect-in-chain', slot, i);
        const pointer = this.pointer;
        pointer[0] = slot;
        pointer[1] = lo;
        pointer[2] = hi;
        pointer[3] = len;
        pointer[4] = flags;
        const err = walkPackedIndirect(this.mem, this.indirect, chain, slot, pointer, size);
        if (err !== null) return err;
        chain.id = u16[(d << 1) + 6] as number;
        chain.ringDescs = 1;
        return null;
      }
      if (len === 0) return deviceRingError('packed', 'zero-length-descriptor', slot, i);
      if (hi !== 0 || lo > memSize - len) return deviceRingError('packed', 'address-out-of-range', slot, i);
      if ((flags & VIRTQ_DESC_F_WRITE) !== 0) writableBytes += len;
      else if (readable !== count) return deviceRingError('packed', 'writable-before-readable', slot, i);
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
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) {
        chain.finish(count, readable, readableBytes, writableBytes);
        chain.id = u16[(d << 1) + 6] as number;
        return null;
      }
      i++;
      if (i === size) {
        i = 0;
        w ^= 1;
      }
    }
  }

  private fail(code: DeviceRingErrorCode, head = -1, desc = -1, detail = ''): DeviceRingError {
    const err = deviceRingError('packed', code, head, desc, false, detail);
    this.failure = err;
    return err;
  }

  /**
   * Returns a buffer to the driver: one used descriptor at the next used
   * slot with the buffer id and `len`, flags written last with AVAIL = USED
   * = the device wrap counter (`packed.wrap.device.1`); WRITE is set when
   * the buffer has writable segments (`packed.used.device.1`). The device
   * then skips the slots the list occupied. `len` is written as given (u32).
   * @throws RangeError when `chain` is not in flight on this queue (a device bug).
   */
  push(chain: DeviceChain, len: number): void {
    if (chain.queue !== this || !chain.held) throw new RangeError('push of a chain that is not in flight on this queue');
    if (this.deferredCount > 0) this.flushDeferred();
    this.writeUsed(this.usedPos, this.usedWrap, chain.id, len, chain.count > chain.readableCount);
    this.advanceUsed(chain.ringDescs);
    this.release(chain);
  }

  /**
   * IN_ORDER batching: marks `chain` used without writing a used
   * descriptor yet. {@link flushDeferred} (or the next {@link push}) writes
   * one used descriptor for the batch at its first slot, with the id and len
   * of its last buffer, and skips all the batch's slots (2.8.x in-order).
   * @throws RangeError without IN_ORDER, or when chains are not used in pop order.
   */
  pushDeferred(chain: DeviceChain, len: number): void {
    if (!this.inOrder) throw new RangeError('pushDeferred needs VIRTIO_F_IN_ORDER');
    if (chain.queue !== this || !chain.held) throw new RangeError('push of a chain that is not in flight on this queue');
    if (chain.seq !== this.pushSeq) throw new RangeError('IN_ORDER: chains must be used in the order they were popped');
    if (this.deferredCount === 0) {
      this.deferredPos = this.usedPos;
      this.deferredWrap = this.usedWrap;
      this.deferredSlots = 0;
    }
    this.deferredCount++;
    this.deferredSlots += chain.ringDescs;
    this.deferredId = chain.id;
    this.deferredLen = len;
    this.deferredWrite = chain.count > chain.readableCount;
    this.release(chain);
  }

  /** Publishes the deferred IN_ORDER batch, if any; returns the number of buffers it covered. */
  flushDeferred(): number {
    const n = this.deferredCount;
    if (n === 0) return 0;
    this.writeUsed(this.deferredPos, this.deferredWrap, this.deferredId, this.deferredLen, this.deferredWrite);
    this.advanceUsed(this.deferredSlots);
    this.deferredCount = 0;
    return n;
  }

  private writeUsed(pos: number, wrap: number, id: number, len: number, write: boolean): void {
    const d = this.desc32 + (pos << 2);
    this.u32[d + 2] = len;
    this.u16[(d << 1) + 6] = id;
    this.u16[(d << 1) + 7] = (wrap !== 0 ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0) | (write ? VIRTQ_DESC_F_WRITE : 0);
  }

  private advanceUsed(slots: number): void {
    let pos = this.usedPos + slots;
    if (pos >= this.size) {
      pos -= this.size;
      this.usedWrap ^= 1;
    }
    this.usedPos = pos;
    this.unsignalled += slots;
  }

  private release(chain: DeviceChain): void {
    chain.held = false;
    this.idHeld[chain.id] = 0;
    this.held--;
    this.pushSeq = (chain.seq + 1) | 0;
    this.spare.push(chain);
  }

  /**
   * Whether the driver must be notified about the used descriptors written
   * since the previous call, per the driver event suppression structure
   * (`packed.evsupp.any.2.device`): DISABLE never, ENABLE always, DESC (with
   * EVENT_IDX) when the written slots cross `desc_event_off`/`wrap`, as QEMU
   * `virtio_packed_should_notify` decides. False when nothing was written.
   *
   * Decision (unlike QEMU and Linux): with DESC, once the used descriptors
   * since the previous call cover Q or more slots, always notify.
   * `packed.evsupp.any.1.device` read literally (as the harness observer
   * does): the descriptor named by `desc_event_off`/`wrap` was used in the
   * window, in whatever lap; `vring_packed_need_event` looks at the current
   * lap only. A spare notification is always allowed (`packed.evsupp.any.2.device`).
   */
  needsNotify(): boolean {
    const n = this.unsignalled;
    this.unsignalled = 0;
    if (n === 0) return false;
    const flags = (this.u16[this.drvFlags16] as number) & RING_EVENT_FLAGS_MASK;
    if (!this.eventIdx || flags !== RING_EVENT_FLAGS_DESC) return flags !== RING_EVENT_FLAGS_DISABLE;
    if (n >= this.size) return true;
    const pos = this.usedPos;
    return vring_packed_need_event(this.u16[this.drvOffWrap16] as number, this.usedWrap, this.size, pos, pos - n);
  }

  /**
   * Asks the driver for notifications again: with EVENT_IDX, flags = DESC
   * at the next slot to read; otherwise ENABLE. Returns true when a buffer
   * is already waiting, so the caller pops again instead of sleeping (bug D9).
   */
  enableNotifications(): boolean {
    if (this.eventIdx) {
      this.u16[this.devOffWrap16] = packEventOffWrap(this.availPos, this.availWrap);
      this.u16[this.devFlags16] = RING_EVENT_FLAGS_DESC;
    } else {
      this.u16[this.devFlags16] = RING_EVENT_FLAGS_ENABLE;
    }
    return this.hasAvailable();
  }

  /** Asks the driver not to notify: device event flags = DISABLE (`packed.op.device.2`). */
  disableNotifications(): void {
    this.u16[this.devFlags16] = RING_EVENT_FLAGS_DISABLE;
  }

  /**
   * Queue reset: forgets all state and in-flight chains (chains still held
   * become invalid) and clears the sticky error (`vqreset.device.2`).
   * Writes nothing to guest memory.
   */
  reset(): void {
    this.init();
  }

  // The constructor calls init, not reset, so that subclasses overriding reset see their own fields initialised.
  private init(): void {
    this.availPos = this.usedPos = this.initialIndex & 0x7fff;
    this.availWrap = this.usedWrap = this.initialIndex >>> 15;
    this.unsignalled = 0;
    this.failure = null;
    for (const chain of this.all) chain.held = false;
    this.spare.length = 0;
    for (const chain of this.all) this.spare.push(chain);
    this.idHeld.fill(0);
    this.held = 0;
    this.popSeq = this.pushSeq = 0;
    this.deferredCount = 0;
  }
}
