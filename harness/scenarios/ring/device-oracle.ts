/**
 * Independent predictions of what a device-side pop must return from
 * whatever bytes the driver left in ring memory: nothing, a typed error, or
 * exactly which chain. Written from the ring layouts of 2.7 / 2.8 and the
 * device error policy documented in `reference-impl/virtqueue/ring-error.ts`
 * (zero-length buffers, chains longer than the queue, addresses outside
 * memory, indirect rules, readable after writable, index jumps, heads or
 * ids still in flight), not from the engine's code: loops are found with
 * visited sets rather than step counts, memory is read through a DataView.
 *
 * The oracle must look at memory immediately before the pop it predicts,
 * with nothing written in between.
 *
 * @module
 */

import { VIRTQ_DESC_F_AVAIL_BIT, VIRTQ_DESC_F_USED_BIT } from '../../../specs/virtqueue/index.js';
import type { VirtqueueLayout } from '../../../reference-impl/virtqueue/index.js';

/** One buffer segment of a predicted chain. */
export interface PredictedSegment {
  readonly addr: number;
  readonly len: number;
  readonly writable: boolean;
}

/** What the next pop must return. */
export type PopExpectation =
  | { readonly kind: 'empty' }
  | { readonly kind: 'error'; readonly reason: string }
  | {
      readonly kind: 'chain';
      /** Split head, or packed buffer id. */
      readonly id: number;
      /** Descriptors the chain occupies in the table or ring (an indirect table counts as 1). */
      readonly ringDescs: number;
      readonly indirect: boolean;
      readonly segments: readonly PredictedSegment[];
    };

const NEXT = 1;
const WRITE = 2;
const INDIRECT = 4;

/** Shared parts: memory view, the address rule, the in-flight set. */
abstract class DeviceOracle {
  protected readonly view: DataView;
  protected readonly held: Uint8Array;
  protected heldCount = 0;
  /** The device queue has failed; every pop returns its error until reset. */
  protected failed = false;

  constructor(
    buffer: ArrayBufferLike,
    protected readonly layout: VirtqueueLayout,
    protected readonly indirectNegotiated: boolean,
  ) {
    this.view = new DataView(buffer);
    this.held = new Uint8Array(0x10000);
  }

  /** A buffer at (lo, hi) of `len` bytes is usable: inside memory and not empty. */
  protected inside(lo: number, hi: number, len: number): boolean {
    return hi === 0 && lo + len <= this.view.byteLength;
  }

  protected error(reason: string): PopExpectation {
    this.failed = true;
    return { kind: 'error', reason };
  }

  /** Appends the segments of an indirect table, or returns why it is invalid. `sequential`: packed tables ignore NEXT. */
  protected table(segs: PredictedSegment[], lo: number, hi: number, len: number, direct: number, sequential: boolean): string | null {
    if (len === 0 || len % 16 !== 0) return 'indirect table length';
    if (!this.inside(lo, hi, len)) return 'indirect table outside memory';
    const entries = len / 16;
    if (direct + entries > this.layout.size) return 'chain longer than the queue';
    const seen = new Uint8Array(entries);
    let j = 0;
    for (;;) {
      if (seen[j] === 1) return 'indirect loop';
      seen[j] = 1;
      const e = lo + 16 * j;
      const alo = this.view.getUint32(e, true);
      const ahi = this.view.getUint32(e + 4, true);
      const elen = this.view.getUint32(e + 8, true);
      const flags = this.view.getUint16(e + (sequential ? 14 : 12), true);
      if (!sequential && (flags & INDIRECT) !== 0) return 'nested indirect';
      const bad = this.segment(segs, alo, ahi, elen, (flags & WRITE) !== 0);
      if (bad !== null) return bad;
      if (sequential) {
        if (++j === entries) return null;
        continue;
      }
      if ((flags & NEXT) === 0) return null;
      const next = this.view.getUint16(e + 14, true);
      if (next >= entries) return 'indirect next out of range';
      j = next;
    }
  }

  protected segment(segs: PredictedSegment[], lo: number, hi: number, len: number, writable: boolean): string | null {
    if (len === 0) return 'zero-length buffer';
    if (!this.inside(lo, hi, len)) return 'buffer outside memory';
    if (!writable && segs.length > 0 && (segs[segs.length - 1] as PredictedSegment).writable) return 'readable after writable';
    segs.push({ addr: lo, len, writable });
    return null;
  }

  /** The device pushed the chain with this id back. */
  pushed(id: number): void {
    if (this.held[id] === 1) {
      this.held[id] = 0;
      this.heldCount--;
    }
  }

  /** Queue reset: nothing held, back to the initial position. */
  reset(): void {
    this.held.fill(0);
    this.heldCount = 0;
    this.failed = false;
  }

  protected hold(id: number): void {
    this.held[id] = 1;
    this.heldCount++;
  }

  /** Predicts the next pop and, for a chain, records it as popped. */
  abstract expect(): PopExpectation;
}

/** Oracle of a split device queue (2.7). */
export class SplitDeviceOracle extends DeviceOracle {
  #last: number;

  constructor(buffer: ArrayBufferLike, layout: VirtqueueLayout, indirect: boolean, private readonly initialIndex = 0) {
    super(buffer, layout, indirect);
    this.#last = initialIndex;
  }

  override reset(): void {
    super.reset();
    this.#last = this.initialIndex;
  }

  expect(): PopExpectation {
    if (this.failed) return { kind: 'error', reason: 'failed earlier' };
    const q = this.layout.size;
    const a = this.layout.driverAddr;
    const idx = this.view.getUint16(a + 2, true);
    if (idx === this.#last) return { kind: 'empty' };
    if (((idx - this.#last) & 0xffff) > q) return this.error('avail idx jump');
    if (this.heldCount >= q) return this.error('more in flight than the queue size');
    const head = this.view.getUint16(a + 4 + 2 * (this.#last % q), true);
    if (head >= q) return this.error('head out of range');
    if (this.held[head] === 1) return this.error('head in flight');
    const segs: PredictedSegment[] = [];
    const seen = new Uint8Array(q);
    let i = head;
    let ringDescs = 0;
    for (;;) {
      if (seen[i] === 1) return this.error('loop');
      seen[i] = 1;
      ringDescs++;
      const d = this.layout.descAddr + 16 * i;
      const lo = this.view.getUint32(d, true);
      const hi = this.view.getUint32(d + 4, true);
      const len = this.view.getUint32(d + 8, true);
      const flags = this.view.getUint16(d + 12, true);
      if ((flags & INDIRECT) !== 0) {
        if (!this.indirectNegotiated) return this.error('indirect not negotiated');
        if ((flags & NEXT) !== 0) return this.error('indirect with next');
        const bad = this.table(segs, lo, hi, len, segs.length, false);
        if (bad !== null) return this.error(bad);
        return this.chain(head, ringDescs, true, segs);
      }
      const bad = this.segment(segs, lo, hi, len, (flags & WRITE) !== 0);
      if (bad !== null) return this.error(bad);
      if ((flags & NEXT) === 0) return this.chain(head, ringDescs, false, segs);
      const next = this.view.getUint16(d + 14, true);
      if (next >= q) return this.error('next out of range');
      i = next;
    }
  }

  private chain(id: number, ringDescs: number, indirect: boolean, segments: PredictedSegment[]): PopExpectation {
    this.hold(id);
    this.#last = (this.#last + 1) & 0xffff;
    return { kind: 'chain', id, ringDescs, indirect, segments };
  }
}

/** Oracle of a packed device queue (2.8), starting at slot 0 with wrap counter 1. */
export class PackedDeviceOracle extends DeviceOracle {
  #pos = 0;
  #wrap = 1;

  override reset(): void {
    super.reset();
    this.#pos = 0;
    this.#wrap = 1;
  }

  /** AVAIL equals the reader's wrap counter and USED differs (2.8.1). */
  #available(slot: number, wrap: number): boolean {
    const flags = this.view.getUint16(this.layout.descAddr + 16 * slot + 14, true);
    return ((flags >>> VIRTQ_DESC_F_AVAIL_BIT) & 1) === wrap && ((flags >>> VIRTQ_DESC_F_USED_BIT) & 1) !== wrap;
  }

  expect(): PopExpectation {
    if (this.failed) return { kind: 'error', reason: 'failed earlier' };
    const q = this.layout.size;
    if (!this.#available(this.#pos, this.#wrap)) return { kind: 'empty' };
    if (this.heldCount >= q) return this.error('more in flight than the queue size');
    const segs: PredictedSegment[] = [];
    let slot = this.#pos;
    let wrap = this.#wrap;
    for (let n = 0; ; n++) {
      if (n === q) return this.error('list longer than the queue');
      if (n > 0 && !this.#available(slot, wrap)) return this.error('list runs into a descriptor that is not available');
      const d = this.layout.descAddr + 16 * slot;
      const lo = this.view.getUint32(d, true);
      const hi = this.view.getUint32(d + 4, true);
      const len = this.view.getUint32(d + 8, true);
      const flags = this.view.getUint16(d + 14, true);
      let last = (flags & NEXT) === 0;
      if ((flags & INDIRECT) !== 0) {
        if (n > 0) return this.error('indirect inside a list');
        if (!this.indirectNegotiated) return this.error('indirect not negotiated');
        if ((flags & NEXT) !== 0) return this.error('indirect with next');
        const bad = this.table(segs, lo, hi, len, 0, true);
        if (bad !== null) return this.error(bad);
        last = true;
      } else {
        const bad = this.segment(segs, lo, hi, len, (flags & WRITE) !== 0);
        if (bad !== null) return this.error(bad);
      }
      if (last) {
        const id = this.view.getUint16(d + 12, true);
        if (this.held[id] === 1) return this.error('buffer id in flight');
        this.hold(id);
        const ringDescs = n + 1;
        this.#pos += ringDescs;
        if (this.#pos >= q) {
          this.#pos -= q;
          this.#wrap ^= 1;
        }
        return { kind: 'chain', id, ringDescs, indirect: (flags & INDIRECT) !== 0, segments: segs };
      }
      if (++slot === q) {
        slot = 0;
        wrap ^= 1;
      }
    }
  }
}
