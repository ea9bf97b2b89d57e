/**
 * The packed-ring observer (virtio 1.4 section 2.8): watches one packed
 * virtqueue through its own {@link MemoryReader}, computing both wrap
 * counters itself from absolute ring positions, and reports every rule of
 * `RING_OBSERVER_RULES` with format `packed` that memory contradicts.
 *
 * Shadow state: the driver's next position (`driverPos`), the device's next
 * used position (`devicePos`), the outstanding buffers by ID in the order
 * they were made available, and a copy of the descriptor ring as of the
 * last checkpoint. Positions count descriptors since queue enable; the slot
 * is `pos % Q` and the wrap counter flips every Q positions, starting at 1
 * (`packed.wrap.any.1.driver`, `packed.wrap.any.1.device`). Between them,
 * `[devicePos, driverPos)` is the outstanding region: slots only the device
 * may write. Every other slot belongs to the driver.
 *
 * @module
 */

import {
  isValidPackedQueueSize,
  PVIRTQ_DESC_SIZE,
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  pvirtq_desc,
  pvirtq_event_suppress,
  pvirtqDescRingSize,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_ENABLE,
  RING_EVENT_FLAGS_MASK,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_USED,
} from '../../specs/virtqueue/packed.js';
import { VIRTQ_DESC_F_WRITE } from '../../specs/virtqueue/split.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_IN_ORDER, VIRTIO_F_NOTIFICATION_DATA } from '../../specs/features/reserved.js';
import type { RingActor } from './ring-finding.js';
import type { MemoryReader } from './memory-reader.js';
import { hasBit, hex, packedEventInWindow, RingObserverBase, wrapAt, type RingObserver, type RingObserverCommonOptions } from './ring-observer.js';
import { packedIndirectDigest, walkPackedList, type PackedBuffer, type PackedWalkContext } from './packed-chain.js';
import { readableDigest } from './split-chain.js';

/** Where a packed virtqueue lives and how it was negotiated. */
export interface PackedRingObserverOptions extends RingObserverCommonOptions {
  /** Guest-physical address of the descriptor ring (Descriptor Area). */
  readonly descAddr: number;
  /** Driver Event Suppression structure (Driver Area): written by the driver, read by the device. */
  readonly driverEventAddr: number;
  /** Device Event Suppression structure (Device Area): written by the device, read by the driver. */
  readonly deviceEventAddr: number;
}

const AU = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;
const FLAGS = pvirtq_desc.fields.flags.offset;
const EV_FLAGS = pvirtq_event_suppress.fields.flags.offset;
const EV_DESC = pvirtq_event_suppress.fields.desc.offset;

/** AVAIL/USED bits of a descriptor made available with driver wrap counter `wrap`. */
function availBits(wrap: number): number {
  return wrap === 1 ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/** AVAIL/USED bits of a descriptor used with device wrap counter `wrap`. */
function usedBits(wrap: number): number {
  return wrap === 1 ? AU : 0;
}

/**
 * Observer of one packed virtqueue, attached at queue enable (ring
 * zero-initialised, both wrap counters 1). See `ring-observer.ts` for the
 * hook contract; the rules are `ring.packed.*` in `RING_OBSERVER_RULES`.
 */
export class PackedRingObserver extends RingObserverBase implements RingObserver {
  readonly #r: MemoryReader;
  readonly #size: number;
  readonly #descAddr: number;
  readonly #driverEventAddr: number;
  readonly #deviceEventAddr: number;
  readonly #eventIdx: boolean;
  readonly #inOrder: boolean;
  readonly #notificationData: boolean;
  readonly #checkReadOnly: boolean;
  readonly #ctx: PackedWalkContext;

  #driverPos = 0;
  #devicePos = 0;
  readonly #buffers = new Map<number, PackedBuffer>();
  /** Outstanding buffer IDs in the order they were made available. */
  readonly #fifo: number[] = [];
  /** IDs completed without a used descriptor of their own (IN_ORDER batches), until reused. */
  readonly #batched = new Set<number>();
  /** Flags of each slot as the driver published them. */
  readonly #publishedFlags: Uint16Array;
  #snap: Uint8Array;

  #driverWindowStart = 0;
  #deviceWindowStart = 0;
  #reportedDriverEventFlags = -1;
  #reportedDeviceEventFlags = -1;

  /**
   * @throws RangeError when the queue size is out of range or a ring area
   *   lies outside the reader's memory (harness configuration bugs).
   */
  constructor(reader: MemoryReader, options: PackedRingObserverOptions) {
    super(options);
    const q = options.size;
    if (!isValidPackedQueueSize(q)) throw new RangeError(`packed queue size ${q} is not in 1..32768`);
    if (!reader.contains(options.descAddr, pvirtqDescRingSize(q)) || !reader.contains(options.driverEventAddr, PVIRTQ_EVENT_SUPPRESS_SIZE) || !reader.contains(options.deviceEventAddr, PVIRTQ_EVENT_SUPPRESS_SIZE)) {
      throw new RangeError(`packed ring areas of queue ${options.queue} are not inside guest memory`);
    }
    this.#r = reader;
    this.#size = q;
    this.#descAddr = options.descAddr;
    this.#driverEventAddr = options.driverEventAddr;
    this.#deviceEventAddr = options.deviceEventAddr;
    this.#eventIdx = hasBit(options.features, VIRTIO_F_EVENT_IDX);
    this.#inOrder = hasBit(options.features, VIRTIO_F_IN_ORDER);
    this.#notificationData = hasBit(options.features, VIRTIO_F_NOTIFICATION_DATA);
    this.#checkReadOnly = options.checkReadOnlyBuffers ?? true;
    this.#ctx = { reader, descAddr: options.descAddr, size: q, indirectNegotiated: hasBit(options.features, VIRTIO_F_INDIRECT_DESC) };
    this.#publishedFlags = new Uint16Array(q);
    this.#snap = this.#ring();
  }

  /** Outstanding buffer IDs in avail order (for tests and reports). */
  get outstandingIds(): readonly number[] {
    return this.#fifo;
  }

  /** The driver's next position and the device's next used position, as absolute counts. */
  get positions(): { readonly driver: number; readonly device: number } {
    return { driver: this.#driverPos, device: this.#devicePos };
  }

  checkpoint(actor: RingActor): void {
    if (this.desynchronized) return;
    if (actor === 'driver') this.#driverCheckpoint();
    else this.#deviceCheckpoint();
    if (!this.desynchronized) this.#snap = this.#ring();
  }

  afterDriverStep(): void {
    this.checkpoint('driver');
    if (this.desynchronized) return;
    const from = this.#driverWindowStart;
    const to = this.#driverPos;
    this.#driverWindowStart = to;
    if (from === to) return;
    const flags = this.#r.read16(this.#deviceEventAddr + EV_FLAGS) & RING_EVENT_FLAGS_MASK;
    const offWrap = this.#r.read16(this.#deviceEventAddr + EV_DESC);
    if (this.#mustNotify(flags, offWrap, from, to)) {
      this.violation('ring.packed.driver-notify', `descriptors made available at positions ${from}..${to - 1} with device event flags ${flags} (desc ${hex(offWrap)}) and no notification after them`, 'an available-buffer notification');
    }
  }

  afterDeviceStep(): void {
    this.checkpoint('device');
    if (this.desynchronized) return;
    for (let pos = this.#devicePos; pos < this.#driverPos; pos++) {
      const slot = pos % this.#size;
      const flags = this.#r.read16(this.#descAddr + PVIRTQ_DESC_SIZE * slot + FLAGS);
      if (((flags ^ (this.#publishedFlags[slot] as number)) & AU) !== 0) {
        this.violation('ring.packed.used-slot', `slot ${slot} changed to flags ${hex(flags)} at the end of a device step, but the next used descriptor belongs at slot ${this.#devicePos % this.#size}`, 'one used descriptor per list, each at the slot after the previous list');
        break;
      }
    }
    const from = this.#deviceWindowStart;
    const to = this.#devicePos;
    this.#deviceWindowStart = to;
    if (from === to) return;
    const flags = this.#r.read16(this.#driverEventAddr + EV_FLAGS) & RING_EVENT_FLAGS_MASK;
    const offWrap = this.#r.read16(this.#driverEventAddr + EV_DESC);
    if (this.#mustNotify(flags, offWrap, from, to)) {
      this.violation('ring.packed.device-notify', `descriptors used at positions ${from}..${to - 1} with driver event flags ${flags} (desc ${hex(offWrap)}) and no notification after them`, 'a used-buffer notification');
    }
  }

  onDriverNotify(data?: number): void {
    this.checkpoint('driver');
    if (this.desynchronized) return;
    this.#driverWindowStart = this.#driverPos;
    if (this.#notificationData && data !== undefined) {
      const off = (data >>> 16) & 0x7fff;
      const wrap = (data >>> 31) & 1;
      const wantOff = this.#driverPos % this.#size;
      const wantWrap = wrapAt(this.#driverPos, this.#size);
      if (off !== wantOff || wrap !== wantWrap) {
        this.violation('ring.packed.notification-data', `notification next_off ${off} next_wrap ${wrap}`, `next_off ${wantOff} next_wrap ${wantWrap} (the next descriptor not yet available)`);
      }
    }
  }

  onUsedBufferNotification(): void {
    this.checkpoint('device');
    this.#deviceWindowStart = this.#devicePos;
  }

  /**
   * Whether a window of positions [from, to) made available (or used)
   * between two notification decisions calls for a notification: ENABLE
   * always, DESC (with EVENT_IDX) when the event descriptor is among them.
   *
   * Decision: `packed.evsupp.any.1.driver` / `packed.evsupp.any.1.device`
   * are followed literally — the descriptor named by
   * `desc_event_off`/`desc_event_wrap` WAS made available (used) inside the
   * window, in whatever lap, so a window longer than Q positions can contain
   * it in an earlier lap. Linux and QEMU (`vring_packed_need_event`) look at
   * the current lap only and may stay silent there; the reference engine
   * instead always notifies once Q or more descriptors went by since its
   * last decision (`PackedDriverState.kickPrepare`,
   * `PackedDeviceQueue.needsNotify`), which a spare notification permits
   * (`packed.evsupp.any.2.driver`, `packed.evsupp.any.2.device`).
   */
  #mustNotify(flags: number, offWrap: number, from: number, to: number): boolean {
    if (flags === RING_EVENT_FLAGS_ENABLE) return true;
    return flags === RING_EVENT_FLAGS_DESC && this.#eventIdx && packedEventInWindow(offWrap, this.#size, from, to);
  }

  #ring(): Uint8Array {
    return this.#r.readBytes(this.#descAddr, pvirtqDescRingSize(this.#size)).slice();
  }

  #inRegion(slot: number): boolean {
    return (slot - (this.#devicePos % this.#size) + this.#size) % this.#size < this.#driverPos - this.#devicePos;
  }

  /** The first slot whose 16 bytes differ from the snapshot, among slots `inside` (or outside) the outstanding region. */
  #changedSlot(now: Uint8Array, inside: boolean): number {
    for (let slot = 0; slot < this.#size; slot++) {
      if (this.#inRegion(slot) !== inside) continue;
      const base = PVIRTQ_DESC_SIZE * slot;
      for (let b = 0; b < PVIRTQ_DESC_SIZE; b++) if (now[base + b] !== this.#snap[base + b]) return slot;
    }
    return -1;
  }

  #checkEventFlags(addr: number, driverSide: boolean): void {
    const value = this.#r.read16(addr + EV_FLAGS);
    const kind = value & RING_EVENT_FLAGS_MASK;
    const bad = (value & ~RING_EVENT_FLAGS_MASK) !== 0 || kind === 3 || (kind === RING_EVENT_FLAGS_DESC && !this.#eventIdx);
    const reported = driverSide ? this.#reportedDriverEventFlags : this.#reportedDeviceEventFlags;
    if (!bad || value === reported) return;
    if (driverSide) this.#reportedDriverEventFlags = value;
    else this.#reportedDeviceEventFlags = value;
    this.violation(driverSide ? 'ring.packed.driver-event-flags' : 'ring.packed.device-event-flags', `${driverSide ? 'driver' : 'device'} event suppression flags = ${hex(value)}`, `ENABLE (0), DISABLE (1)${this.#eventIdx ? ' or DESC (2)' : ''}, reserved bits 0`);
  }

  // ---------------------------------------------------------------- driver

  #driverCheckpoint(): void {
    const r = this.#r;
    this.#checkEventFlags(this.#driverEventAddr, true);
    const now = r.readBytes(this.#descAddr, pvirtqDescRingSize(this.#size));
    const changed = this.#changedSlot(now, true);
    if (changed >= 0) {
      this.violation('ring.packed.published-unchanged', `slot ${changed}, made available and not yet used, changed during a driver step`, 'descriptors left alone from AVAIL flip until the device used them');
    }
    for (const id of this.#fifo) {
      const buffer = this.#buffers.get(id) as PackedBuffer;
      const digest = packedIndirectDigest(r, buffer);
      if (digest !== buffer.indirectDigest) {
        buffer.indirectDigest = digest;
        this.violation('ring.packed.published-unchanged', `indirect table of outstanding buffer ${id} changed during a driver step`, 'the table left alone until the device used the buffer');
      }
      if (this.#checkReadOnly) buffer.readableDigest = readableDigest(r, buffer.readable);
    }
    while (this.#driverPos - this.#devicePos < this.#size) {
      const slot = this.#driverPos % this.#size;
      const flags = r.read16(this.#descAddr + PVIRTQ_DESC_SIZE * slot + FLAGS);
      const wrap = wrapAt(this.#driverPos, this.#size);
      if ((flags & AU) !== availBits(wrap)) {
        const before = (this.#snap[PVIRTQ_DESC_SIZE * slot + FLAGS] as number) | ((this.#snap[PVIRTQ_DESC_SIZE * slot + FLAGS + 1] as number) << 8);
        if (((flags ^ before) & AU) !== 0) {
          this.violation('ring.packed.avail-wrap', `slot ${slot} (driver wrap counter ${wrap}) got flags ${hex(flags)}`, `AVAIL ${wrap} and USED ${1 - wrap}`);
          this.desync('the driver no longer follows its wrap counter');
        }
        return;
      }
      const walked = walkPackedList(this.#ctx, this.#driverPos, this.#devicePos, (rule, observed, expected, clause) => this.violation(rule, observed, expected, clause));
      if ('kind' in walked) {
        this.desync(walked.reason);
        return;
      }
      if (this.#buffers.has(walked.id)) {
        this.violation('ring.packed.buffer-id-unique', `buffer id ${walked.id} made available at slot ${slot} while still outstanding`, 'an id not in use');
        this.desync('a buffer id is outstanding twice');
        return;
      }
      walked.readableDigest = readableDigest(r, walked.readable);
      for (let k = 0; k < walked.descCount; k++) {
        const s = (this.#driverPos + k) % this.#size;
        this.#publishedFlags[s] = r.read16(this.#descAddr + PVIRTQ_DESC_SIZE * s + FLAGS);
      }
      this.#buffers.set(walked.id, walked);
      this.#fifo.push(walked.id);
      this.#batched.delete(walked.id);
      this.#driverPos += walked.descCount;
    }
  }

  // ---------------------------------------------------------------- device

  #deviceCheckpoint(): void {
    const r = this.#r;
    this.#checkEventFlags(this.#deviceEventAddr, false);
    const now = r.readBytes(this.#descAddr, pvirtqDescRingSize(this.#size));
    const changed = this.#changedSlot(now, false);
    if (changed >= 0) {
      this.violation('ring.packed.device-writes-outside', `slot ${changed}, outside the descriptors the device has not yet used, changed during a device step`, 'no writes to used descriptors or to slots not made available');
    }
    if (this.#checkReadOnly) {
      for (const id of this.#fifo) {
        const buffer = this.#buffers.get(id) as PackedBuffer;
        const digest = readableDigest(r, buffer.readable);
        if (digest !== buffer.readableDigest) {
          buffer.readableDigest = digest;
          this.violation('ring.packed.device-readonly-buffers', `device-readable memory of outstanding buffer ${id} changed during a device step`, 'device-readable buffers left unwritten');
        }
      }
    }
    while (this.#devicePos < this.#driverPos) {
      const slot = this.#devicePos % this.#size;
      const at = this.#descAddr + PVIRTQ_DESC_SIZE * slot;
      const flags = r.read16(at + FLAGS);
      const wrap = wrapAt(this.#devicePos, this.#size);
      if ((flags & AU) !== usedBits(wrap)) {
        if (((flags ^ (this.#publishedFlags[slot] as number)) & AU) !== 0) {
          this.violation('ring.packed.used-wrap', `slot ${slot} (device wrap counter ${wrap}) got flags ${hex(flags)}`, `AVAIL = USED = ${wrap}`);
          this.desync('the device no longer follows its wrap counter');
        }
        return;
      }
      if (!this.#useOne(slot, at, flags)) return;
    }
  }

  /** Consumes the used descriptor at `slot`; false after a desync. */
  #useOne(slot: number, at: number, flags: number): boolean {
    const r = this.#r;
    const id = r.read16(at + pvirtq_desc.fields.id.offset);
    const buffer = this.#buffers.get(id);
    if (buffer === undefined) {
      if (this.#inOrder && this.#batched.has(id)) {
        this.violation('ring.packed.in-order-use', `used descriptor at slot ${slot} names buffer ${id}, already completed by an earlier in-order batch`, 'buffers used in the order they were made available');
      } else {
        this.violation('ring.packed.used-id', `used descriptor at slot ${slot} names buffer ${id}, not outstanding (outstanding: ${this.#fifo.join(', ') || 'none'})`, 'the id of an outstanding buffer, once');
      }
      this.desync('a used descriptor names no outstanding buffer');
      return false;
    }
    if ((flags & VIRTQ_DESC_F_WRITE) !== 0) {
      const len = r.read32(at + pvirtq_desc.fields.len.offset);
      if (len > buffer.writableBytes) {
        this.violation('ring.packed.used-len', `used descriptor at slot ${slot} has len ${len} for buffer ${id} with ${buffer.writableBytes} writable bytes`, `len <= ${buffer.writableBytes}`);
      }
    }
    const index = this.#fifo.indexOf(id);
    const done = this.#inOrder ? this.#fifo.splice(0, index + 1) : this.#fifo.splice(index, 1);
    let skip = 0;
    for (const doneId of done) {
      skip += (this.#buffers.get(doneId) as PackedBuffer).descCount;
      this.#buffers.delete(doneId);
      if (doneId !== id) this.#batched.add(doneId);
    }
    // The driver skips the rest of the list: a used descriptor written there is never read.
    for (let pos = this.#devicePos + 1; pos < this.#devicePos + skip; pos++) {
      const s = pos % this.#size;
      const f = r.read16(this.#descAddr + PVIRTQ_DESC_SIZE * s + FLAGS);
      if (((f ^ (this.#publishedFlags[s] as number)) & AU) !== 0) {
        this.violation('ring.packed.used-slot', `slot ${s}, skipped with buffer ${id} (${skip} slots from slot ${slot}), changed to flags ${hex(f)}`, 'one used descriptor per list; the rest of the list left alone');
        break;
      }
    }
    this.#devicePos += skip;
    return true;
  }
}
