/**
 * A scripted driver side for one queue: writes descriptors, ring entries
 * and indices straight into ring memory, so a check can publish exactly
 * the chain it wants, malformed ones included, without going through a
 * ring engine that would refuse to build them. It follows the layouts of
 * virtio 1.4 sections 2.7 and 2.8 only, not the reference engine.
 *
 * @module
 */

import {
  PVIRTQ_DESC_SIZE,
  pvirtq_desc,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_SIZE,
  virtq_avail,
  virtq_desc,
  virtqAvailRingEntryOffset,
} from '../../../specs/virtqueue/index.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { VirtqueueLayout } from '../../../reference-impl/virtqueue/index.js';

/** One descriptor as a script writes it; `flags` leaves out the packed AVAIL/USED bits. */
export interface RawDesc {
  readonly addr: number;
  readonly len: number;
  readonly flags: number;
}

/** Writes one 16-byte split descriptor (or split indirect table entry) at `at`. */
export function writeSplitDesc(mem: GuestMemory, at: number, d: RawDesc, next: number): void {
  mem.write32(at + virtq_desc.fields.addr.offset, d.addr >>> 0);
  mem.write32(at + virtq_desc.fields.addr.offset + 4, Math.floor(d.addr / 2 ** 32));
  mem.write32(at + virtq_desc.fields.len.offset, d.len >>> 0);
  mem.write16(at + virtq_desc.fields.flags.offset, d.flags);
  mem.write16(at + virtq_desc.fields.next.offset, next);
}

/** Writes one 16-byte packed descriptor (or packed indirect table entry) at `at`, flags last. */
export function writePackedDesc(mem: GuestMemory, at: number, d: RawDesc, id: number, flags: number): void {
  mem.write32(at + pvirtq_desc.fields.addr.offset, d.addr >>> 0);
  mem.write32(at + pvirtq_desc.fields.addr.offset + 4, Math.floor(d.addr / 2 ** 32));
  mem.write32(at + pvirtq_desc.fields.len.offset, d.len >>> 0);
  mem.write16(at + pvirtq_desc.fields.id.offset, id);
  mem.write16(at + pvirtq_desc.fields.flags.offset, flags);
}

/** The driver side of a split queue, by hand. */
export class ScriptedSplitRing {
  readonly format = 'split' as const;
  #availIdx = 0;
  #nextDesc = 0;

  constructor(
    readonly mem: GuestMemory,
    readonly layout: VirtqueueLayout,
  ) {}

  /** `n` descriptor indices not used by the last few chains (taken round the table). */
  take(n: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push((this.#nextDesc + k) % this.layout.size);
    this.#nextDesc = (this.#nextDesc + n) % this.layout.size;
    return out;
  }

  /** Writes descriptor `index` of the table. */
  desc(index: number, d: RawDesc, next: number): void {
    writeSplitDesc(this.mem, this.layout.descAddr + VIRTQ_DESC_SIZE * index, d, next);
  }

  /** Writes `descs` as a NEXT-linked chain at fresh indices and returns its head. */
  chain(descs: readonly RawDesc[]): number {
    const at = this.take(descs.length);
    for (const [k, d] of descs.entries()) {
      const last = k === descs.length - 1;
      this.desc(at[k] as number, { ...d, flags: last ? d.flags : d.flags | VIRTQ_DESC_F_NEXT }, last ? 0 : (at[k + 1] as number));
    }
    return at[0] as number;
  }

  /** Puts `head` in the next available ring entry, then moves `avail->idx` over it. */
  publish(head: number): void {
    const a = this.layout.driverAddr;
    this.mem.write16(a + virtqAvailRingEntryOffset(this.#availIdx & (this.layout.size - 1)), head);
    this.#availIdx = (this.#availIdx + 1) & 0xffff;
    this.mem.write16(a + virtq_avail.fields.idx.offset, this.#availIdx);
  }

  /** Moves `avail->idx` by `by` without writing ring entries (an index jump). */
  jump(by: number): void {
    this.#availIdx = (this.#availIdx + by) & 0xffff;
    this.mem.write16(this.layout.driverAddr + virtq_avail.fields.idx.offset, this.#availIdx);
  }
}

/** The driver side of a packed queue, by hand: positions count descriptors since queue enable. */
export class ScriptedPackedRing {
  readonly format = 'packed' as const;
  #pos = 0;
  #id = 0;

  constructor(
    readonly mem: GuestMemory,
    readonly layout: VirtqueueLayout,
  ) {}

  /** AVAIL/USED bits that make a descriptor at absolute position `pos` available (`packed.wrap.driver.1`). */
  availBits(pos: number): number {
    return Math.floor(pos / this.layout.size) % 2 === 0 ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
  }

  /** A fresh buffer id. */
  nextId(): number {
    const id = this.#id;
    this.#id = (this.#id + 1) % this.layout.size;
    return id;
  }

  /**
   * Makes `descs` available as one list with buffer `id` from the next
   * position, head flags last (`packed.sg.driver.6`). NEXT is set on all but
   * the last unless `linked` is false; `count` descriptors are written (fewer
   * than `descs` leaves the list running into a slot that is not available).
   */
  publish(descs: readonly RawDesc[], id: number, options: { readonly linked?: boolean; readonly count?: number } = {}): void {
    const linked = options.linked ?? true;
    const count = options.count ?? descs.length;
    const flagsAt = (k: number): number => {
      const d = descs[k] as RawDesc;
      return d.flags | (linked && k < descs.length - 1 ? VIRTQ_DESC_F_NEXT : 0) | this.availBits(this.#pos + k);
    };
    for (let k = count - 1; k >= 0; k--) {
      const slot = (this.#pos + k) % this.layout.size;
      writePackedDesc(this.mem, this.layout.descAddr + PVIRTQ_DESC_SIZE * slot, descs[k] as RawDesc, id, flagsAt(k));
    }
    this.#pos += count;
  }
}

/** A scripted driver side of either format. */
export type ScriptedRing = ScriptedSplitRing | ScriptedPackedRing;
