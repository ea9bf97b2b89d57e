/**
 * The split-ring observer (virtio 1.4 section 2.7): watches one split
 * virtqueue in guest memory through its own {@link MemoryReader}, keeps a
 * shadow of what each side published, and reports every rule of
 * `RING_OBSERVER_RULES` with format `split` that memory contradicts.
 *
 * It never imports the reference ring engine: avail/used indices, chains,
 * writable totals and the event windows are recomputed here from the spec
 * layouts alone.
 *
 * @module
 */

import {
  isValidSplitQueueSize,
  VIRTQ_DESC_SIZE,
  virtq_avail,
  virtq_used,
  virtq_used_elem,
  virtqAvailRingEntryOffset,
  virtqAvailRingSize,
  virtqAvailUsedEventOffset,
  virtqDescTableSize,
  virtqUsedAvailEventOffset,
  virtqUsedRingEntryOffset,
  virtqUsedRingSize,
} from '../../specs/virtqueue/split.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_IN_ORDER } from '../../specs/features/reserved.js';
import type { RingActor } from './ring-finding.js';
import type { MemoryReader } from './memory-reader.js';
import { eventInWindow16, hasBit, hex, RingObserverBase, type RingObserver, type RingObserverCommonOptions } from './ring-observer.js';
import { readableDigest, splitChainDescDigest, walkSplitChain, type SplitChain, type SplitWalkContext } from './split-chain.js';

/** Where a split virtqueue lives and how it was negotiated. */
export interface SplitRingObserverOptions extends RingObserverCommonOptions {
  /** Guest-physical address of the descriptor table (Descriptor Area). */
  readonly descAddr: number;
  /** Guest-physical address of the available ring (Driver Area). */
  readonly availAddr: number;
  /** Guest-physical address of the used ring (Device Area). */
  readonly usedAddr: number;
  /**
   * The observer is built when the driver enables the queue, before the
   * device touched it, so used.flags must still read 0
   * (`split.asupp.driver.1`). Set false to attach to a running queue: the
   * current indices then become the baseline, with nothing outstanding.
   * @default true
   */
  readonly atQueueEnable?: boolean;
}

/**
 * Observer of one split virtqueue. See `ring-observer.ts` for the hook
 * contract; the rules are listed in `RING_OBSERVER_RULES` (`ring.split.*`).
 */
export class SplitRingObserver extends RingObserverBase implements RingObserver {
  readonly #r: MemoryReader;
  readonly #size: number;
  readonly #mask: number;
  readonly #descAddr: number;
  readonly #availAddr: number;
  readonly #usedAddr: number;
  readonly #eventIdx: boolean;
  readonly #inOrder: boolean;
  readonly #checkReadOnly: boolean;
  readonly #ctx: SplitWalkContext;

  // Driver side: what avail.idx has covered.
  #availIdx: number;
  /** avail.idx at attach, any value: entry e (counted from there) sits in avail->ring[(this + e) mod Q]. */
  readonly #availIdxAtAttach: number;
  #availCount = 0;
  readonly #entryHead: Int32Array;
  readonly #chains: (SplitChain | undefined)[];
  /** Outstanding heads in the order they were made available. */
  readonly #fifo: number[] = [];
  /** Owner (head + 1) of each descriptor of an outstanding chain, 0 when free. */
  readonly #descOwner: Int32Array;
  /** Avail entries below this number have been read by the device. */
  #readHorizon = 0;

  // Device side: what used.idx has covered.
  #usedIdx: number;
  #usedCount = 0;
  readonly #usedSlotEntry: Float64Array;
  readonly #usedSlotId: Uint32Array;
  readonly #usedSlotLen: Uint32Array;

  // Copies of driver-owned ring areas, to catch device writes.
  #descCopy: Uint8Array;
  #availCopy: Uint8Array;

  // Notification windows: index at the last notification or step end.
  #driverWindowStart: number;
  #deviceWindowStart: number;
  #reportedAvailFlags = -1;
  #reportedUsedFlags = -1;

  /**
   * @throws RangeError when the queue size is not a split queue size or a
   *   ring area lies outside the reader's memory (harness configuration bugs).
   */
  constructor(reader: MemoryReader, options: SplitRingObserverOptions) {
    super(options);
    const q = options.size;
    if (!isValidSplitQueueSize(q)) throw new RangeError(`split queue size ${q} is not a power of 2 in 1..32768`);
    if (!reader.contains(options.descAddr, virtqDescTableSize(q)) || !reader.contains(options.availAddr, virtqAvailRingSize(q)) || !reader.contains(options.usedAddr, virtqUsedRingSize(q))) {
      throw new RangeError(`split ring areas of queue ${options.queue} are not inside guest memory`);
    }
    this.#r = reader;
    this.#size = q;
    this.#mask = q - 1;
    this.#descAddr = options.descAddr;
    this.#availAddr = options.availAddr;
    this.#usedAddr = options.usedAddr;
    this.#eventIdx = hasBit(options.features, VIRTIO_F_EVENT_IDX);
    this.#inOrder = hasBit(options.features, VIRTIO_F_IN_ORDER);
    this.#checkReadOnly = options.checkReadOnlyBuffers ?? true;
    this.#ctx = {
      reader,
      descAddr: options.descAddr,
      size: q,
      indirectNegotiated: hasBit(options.features, VIRTIO_F_INDIRECT_DESC),
      inOrder: this.#inOrder,
      marks: { visited: new Int32Array(q), stamp: 0 },
    };
    this.#entryHead = new Int32Array(q).fill(-1);
    this.#chains = new Array<SplitChain | undefined>(q).fill(undefined);
    this.#descOwner = new Int32Array(q);
    this.#usedSlotEntry = new Float64Array(q).fill(-1);
    this.#usedSlotId = new Uint32Array(q);
    this.#usedSlotLen = new Uint32Array(q);
    this.#availIdx = this.#availIdxNow();
    this.#availIdxAtAttach = this.#availIdx;
    this.#usedIdx = this.#usedIdxNow();
    this.#driverWindowStart = this.#availIdx;
    this.#deviceWindowStart = this.#usedIdx;
    this.#descCopy = this.#copy(this.#descAddr, virtqDescTableSize(q));
    this.#availCopy = this.#copy(this.#availAddr, virtqAvailRingSize(q));
    if (options.atQueueEnable ?? true) {
      const flags = reader.read16(this.#usedAddr + virtq_used.fields.flags.offset);
      if (flags !== 0) this.violation('ring.split.used-flags-zeroed', `used.flags = ${hex(flags)} at queue enable`, 'used.flags = 0');
    }
  }

  /** Chains made available and not yet used, in avail order (for tests and reports). */
  get outstandingHeads(): readonly number[] {
    return this.#fifo;
  }

  checkpoint(actor: RingActor): void {
    if (this.desynchronized) return;
    if (actor === 'driver') this.#driverCheckpoint();
    else this.#deviceCheckpoint();
  }

  afterDriverStep(): void {
    this.checkpoint('driver');
    if (this.desynchronized) return;
    const from = this.#driverWindowStart;
    const to = this.#availIdx;
    this.#driverWindowStart = to;
    if (from === to) return;
    if (this.#eventIdx) {
      const event = this.#r.read16(this.#usedAddr + virtqUsedAvailEventOffset(this.#size));
      if (eventInWindow16(event, from, to)) {
        this.violation('ring.split.driver-notify-event-idx', `avail.idx moved ${from} -> ${to} past avail_event ${event} with no notification after the move`, 'an available-buffer notification');
      }
    } else {
      const flags = this.#r.read16(this.#usedAddr + virtq_used.fields.flags.offset);
      if (flags === 0) {
        this.violation('ring.split.driver-notify-flags', `avail.idx moved ${from} -> ${to} with used.flags 0 and no notification after the move`, 'an available-buffer notification');
      }
    }
  }

  afterDeviceStep(): void {
    this.checkpoint('device');
    if (this.desynchronized) return;
    const from = this.#deviceWindowStart;
    const to = this.#usedIdx;
    this.#deviceWindowStart = to;
    if (from === to) return;
    if (this.#eventIdx) {
      const event = this.#r.read16(this.#availAddr + virtqAvailUsedEventOffset(this.#size));
      if (eventInWindow16(event, from, to)) {
        this.violation('ring.split.device-notify-event-idx', `used.idx moved ${from} -> ${to} past used_event ${event} with no notification after the move`, 'a used-buffer notification');
      }
    } else {
      const flags = this.#r.read16(this.#availAddr + virtq_avail.fields.flags.offset);
      if (flags === 0) {
        this.violation('ring.split.device-notify-flags', `used.idx moved ${from} -> ${to} with avail.flags 0 and no notification after the move`, 'a used-buffer notification');
      }
    }
  }

  onDriverNotify(_data?: number): void {
    this.checkpoint('driver');
    this.#driverWindowStart = this.#availIdx;
  }

  onUsedBufferNotification(): void {
    this.checkpoint('device');
    this.#deviceWindowStart = this.#usedIdx;
  }

  #availIdxNow(): number {
    return this.#r.read16(this.#availAddr + virtq_avail.fields.idx.offset);
  }

  #usedIdxNow(): number {
    return this.#r.read16(this.#usedAddr + virtq_used.fields.idx.offset);
  }

  #copy(addr: number, len: number): Uint8Array {
    return this.#r.readBytes(addr, len).slice();
  }

  // ---------------------------------------------------------------- driver

  #driverCheckpoint(): void {
    const r = this.#r;
    const flags = r.read16(this.#availAddr + virtq_avail.fields.flags.offset);
    if ((this.#eventIdx ? flags !== 0 : flags > 1) && flags !== this.#reportedAvailFlags) {
      this.#reportedAvailFlags = flags;
      this.violation('ring.split.avail-flags', `avail.flags = ${hex(flags)}`, this.#eventIdx ? 'avail.flags = 0 with VIRTIO_F_EVENT_IDX' : 'avail.flags 0 or 1', this.#eventIdx ? 'split.usupp.driver.3' : 'split.usupp.driver.1');
    }
    for (const head of this.#fifo) {
      const chain = this.#chains[head] as SplitChain;
      const digest = splitChainDescDigest(this.#ctx, chain);
      if (digest !== chain.descDigest) {
        chain.descDigest = digest;
        this.violation('ring.split.published-unchanged', `descriptors of chain ${head} (avail entry ${chain.entry}) changed after avail.idx covered them`, 'descriptors written before the avail.idx update and left alone until used');
      }
      if (this.#checkReadOnly) chain.readableDigest = readableDigest(r, chain.readable);
    }
    const first = Math.max(this.#readHorizon, this.#availCount - this.#size);
    for (let e = first; e < this.#availCount; e++) {
      const slot = (this.#availIdxAtAttach + e) & this.#mask;
      const value = r.read16(this.#availAddr + virtqAvailRingEntryOffset(slot));
      if (value !== this.#entryHead[slot]) {
        this.violation('ring.split.published-unchanged', `avail->ring[${slot}] changed from ${this.#entryHead[slot]} to ${value} before the device could have read entry ${e}`, 'avail ring entries left alone until read', 'split.avail.driver.1');
        this.#entryHead[slot] = value;
      }
    }
    this.#publishNewEntries();
    if (this.desynchronized) return;
    this.#descCopy = this.#copy(this.#descAddr, virtqDescTableSize(this.#size));
    this.#availCopy = this.#copy(this.#availAddr, virtqAvailRingSize(this.#size));
    // The used ring is not the driver's; re-baseline it so a driver write is not blamed on the device.
    for (let slot = 0; slot < this.#size; slot++) {
      if ((this.#usedSlotEntry[slot] as number) < 0) continue;
      const at = this.#usedAddr + virtqUsedRingEntryOffset(slot);
      this.#usedSlotId[slot] = r.read32(at + virtq_used_elem.fields.id.offset);
      this.#usedSlotLen[slot] = r.read32(at + virtq_used_elem.fields.len.offset);
    }
  }

  #publishNewEntries(): void {
    const r = this.#r;
    const idx = this.#availIdxNow();
    const delta = (idx - this.#availIdx) & 0xffff;
    if (delta === 0) return;
    const free = this.#size - this.#fifo.length;
    if (delta > free) {
      this.violation('ring.split.avail-idx-advance', `avail.idx moved ${this.#availIdx} -> ${idx} (+${delta}) with ${this.#fifo.length} of ${this.#size} chains outstanding`, `an advance of at most ${free}`);
      this.desync('avail.idx no longer follows the chains made available');
      return;
    }
    for (let k = 0; k < delta; k++) {
      const entry = this.#availCount + k;
      const slot = (this.#availIdx + k) & this.#mask;
      const head = r.read16(this.#availAddr + virtqAvailRingEntryOffset(slot));
      this.#entryHead[slot] = head;
      if (head >= this.#size) {
        this.violation('ring.split.chain-next-in-range', `avail->ring[${slot}] = ${head}`, `a head below the queue size ${this.#size}`);
        this.desync('an avail entry names no descriptor');
        return;
      }
      if (this.#chains[head] !== undefined) {
        this.violation('ring.split.published-unchanged', `avail entry ${entry} publishes head ${head}, already outstanding`, 'a head whose chain was used', 'split.avail.driver.1');
        this.desync('a head is outstanding twice');
        return;
      }
      const chain = walkSplitChain(this.#ctx, head, entry, (rule, observed, expected, clause) => this.violation(rule, observed, expected, clause));
      for (const d of chain.descIndices) {
        const owner = this.#descOwner[d] as number;
        if (owner !== 0) {
          this.violation('ring.split.published-unchanged', `chain ${head} reuses descriptor ${d} of outstanding chain ${owner - 1}`, 'descriptors of outstanding chains left alone until used', 'split.avail.driver.1');
        } else {
          this.#descOwner[d] = head + 1;
        }
      }
      this.#chains[head] = chain;
      this.#fifo.push(head);
    }
    this.#availIdx = idx;
    this.#availCount += delta;
  }

  // ---------------------------------------------------------------- device

  #deviceCheckpoint(): void {
    const r = this.#r;
    this.#compareCopy(this.#descCopy, this.#descAddr, 'descriptor table', (off) => `descriptor ${Math.floor(off / VIRTQ_DESC_SIZE)}`);
    this.#compareCopy(this.#availCopy, this.#availAddr, 'available ring', (off) => `byte ${off}`);
    if (this.#checkReadOnly) {
      for (const head of this.#fifo) {
        const chain = this.#chains[head] as SplitChain;
        const digest = readableDigest(r, chain.readable);
        if (digest !== chain.readableDigest) {
          chain.readableDigest = digest;
          this.violation('ring.split.device-readonly-buffers', `device-readable buffers of outstanding chain ${head} changed during a device step`, 'device-readable buffers left unwritten');
        }
      }
    }
    const flags = r.read16(this.#usedAddr + virtq_used.fields.flags.offset);
    if ((this.#eventIdx ? flags !== 0 : flags > 1) && flags !== this.#reportedUsedFlags) {
      this.#reportedUsedFlags = flags;
      this.violation('ring.split.used-flags', `used.flags = ${hex(flags)}`, this.#eventIdx ? 'used.flags = 0 with VIRTIO_F_EVENT_IDX' : 'used.flags 0 or 1', this.#eventIdx ? 'split.asupp.device.3' : 'split.asupp.device.1');
    }
    this.#checkPublishedUsedEntries();
    this.#consumeUsedEntries();
  }

  #compareCopy(copy: Uint8Array, addr: number, what: string, name: (off: number) => string): void {
    const now = this.#r.readBytes(addr, copy.length);
    for (let off = 0; off < copy.length; off++) {
      if (now[off] !== copy[off]) {
        this.violation('ring.split.device-ring-readonly', `${what} ${name(off)} changed during a device step`, `the device never writes the ${what}`);
        copy.set(now);
        return;
      }
    }
  }

  /** Published used entries must not change unless an outstanding chain could land in their slot. */
  #checkPublishedUsedEntries(): void {
    const r = this.#r;
    const openBelow = this.#usedCount - this.#size + this.#fifo.length;
    for (let slot = 0; slot < this.#size; slot++) {
      const e = this.#usedSlotEntry[slot] as number;
      if (e < 0 || e < openBelow) continue;
      const at = this.#usedAddr + virtqUsedRingEntryOffset(slot);
      const id = r.read32(at + virtq_used_elem.fields.id.offset);
      const len = r.read32(at + virtq_used_elem.fields.len.offset);
      if (id !== this.#usedSlotId[slot] || len !== this.#usedSlotLen[slot]) {
        this.violation('ring.split.used-entry-unchanged', `used->ring[${slot}] (entry ${e}) changed from id ${this.#usedSlotId[slot]} len ${this.#usedSlotLen[slot]} to id ${id} len ${len} after used.idx covered it`, 'id and len written before the used.idx update');
        this.#usedSlotId[slot] = id;
        this.#usedSlotLen[slot] = len;
      }
    }
  }

  #consumeUsedEntries(): void {
    const r = this.#r;
    const idx = this.#usedIdxNow();
    const delta = (idx - this.#usedIdx) & 0xffff;
    if (delta === 0) return;
    if (delta > this.#fifo.length) {
      this.violation('ring.split.used-idx-advance', `used.idx moved ${this.#usedIdx} -> ${idx} (+${delta}) with ${this.#fifo.length} chains outstanding`, `an advance of at most ${this.#fifo.length}`);
      this.desync('used.idx no longer follows the outstanding chains');
      return;
    }
    let k = 0;
    while (k < delta) {
      const slot = (this.#usedIdx + k) & this.#mask;
      const at = this.#usedAddr + virtqUsedRingEntryOffset(slot);
      const id = r.read32(at + virtq_used_elem.fields.id.offset);
      const len = r.read32(at + virtq_used_elem.fields.len.offset);
      this.#usedSlotEntry[slot] = this.#usedCount + k;
      this.#usedSlotId[slot] = id;
      this.#usedSlotLen[slot] = len;
      const chain = id < this.#size ? this.#chains[id] : undefined;
      if (chain === undefined) {
        this.violation('ring.split.used-id', `used->ring[${slot}].id = ${id}, not the head of an outstanding chain (outstanding: ${this.#fifo.join(', ') || 'none'})`, 'the head of an outstanding chain, used once');
        this.desync('a used entry names no outstanding chain');
        return;
      }
      let batch = 1;
      if (this.#inOrder) {
        batch = this.#fifo.indexOf(id) + 1;
        if (k + batch > delta) {
          this.violation('ring.split.in-order-use', `used->ring[${slot}].id = ${id}, made available after ${this.#fifo.slice(0, batch - 1).join(', ')}, and used.idx covers only ${delta - k} more`, 'buffers used in the order they were made available');
          this.desync('in-order use broken');
          return;
        }
      }
      if (len > chain.writableBytes) {
        this.violation('ring.split.used-len', `used->ring[${slot}] len ${len} for chain ${id} with ${chain.writableBytes} writable bytes`, `len <= ${chain.writableBytes}`, 'split.used.device.2');
      }
      const done = this.#inOrder ? this.#fifo.splice(0, batch) : this.#fifo.splice(this.#fifo.indexOf(id), 1);
      for (const head of done) this.#complete(head);
      k += batch;
    }
    this.#usedIdx = idx;
    this.#usedCount += delta;
  }

  #complete(head: number): void {
    const chain = this.#chains[head] as SplitChain;
    this.#chains[head] = undefined;
    for (const d of chain.descIndices) if (this.#descOwner[d] === head + 1) this.#descOwner[d] = 0;
    if (chain.entry + 1 > this.#readHorizon) this.#readHorizon = chain.entry + 1;
  }
}
