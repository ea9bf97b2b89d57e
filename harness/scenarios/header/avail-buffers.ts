/**
 * Reads the buffers a driver has made available on a virtqueue the device has not used yet,
 * straight from guest memory with the ring layouts of 2.7 and 2.8 (direct and indirect
 * descriptors). Driver-side checks use it to see the receive buffers a driver under test posted,
 * without going through either side's ring engine.
 *
 * @module
 */

import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../specs/virtqueue/split.js';
import { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from '../../../specs/virtqueue/packed.js';

/** The memory reads the walker needs (a `GuestMemory` fits). */
export interface RingMemory {
  readonly size: number;
  read16(addr: number): number;
  read32(addr: number): number;
}

/** Where a queue lives. */
export interface RingPlace {
  readonly format: 'split' | 'packed';
  readonly size: number;
  readonly descAddr: number;
  readonly driverAddr: number;
  readonly deviceAddr: number;
}

/** One available buffer: its segments in order and the byte totals per direction. */
export interface AvailableBuffer {
  readonly segments: readonly { readonly addr: number; readonly len: number; readonly writable: boolean }[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

/** What the walk found, or why it stopped. */
export type AvailableBuffers =
  | { readonly kind: 'buffers'; readonly buffers: readonly AvailableBuffer[] }
  | { readonly kind: 'malformed'; readonly reason: string };

const DESC = 16;

function addrOf(mem: RingMemory, at: number): number {
  return mem.read32(at) + mem.read32(at + 4) * 2 ** 32;
}

type Segments = { addr: number; len: number; writable: boolean }[];

/** Split indirect tables chain with NEXT (flags at +12, next at +14). */
function walkSplitIndirect(mem: RingMemory, table: number, bytes: number, out: Segments): string | null {
  const entries = Math.floor(bytes / DESC);
  if (entries === 0 || bytes % DESC !== 0) return `indirect table of ${bytes} bytes`;
  const seen = new Set<number>();
  for (let i = 0; ; ) {
    if (seen.has(i) || i >= entries) return `indirect chain leaves its ${entries}-entry table or loops`;
    seen.add(i);
    const d = table + i * DESC;
    const flags = mem.read16(d + 12);
    out.push({ addr: addrOf(mem, d), len: mem.read32(d + 8), writable: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
    if ((flags & VIRTQ_DESC_F_NEXT) === 0) return null;
    i = mem.read16(d + 14);
  }
}

/** Packed indirect tables are read in order, every entry used (`pvirtq_desc`, flags at +14). */
function walkPackedIndirect(mem: RingMemory, table: number, bytes: number, out: Segments): string | null {
  const entries = Math.floor(bytes / DESC);
  if (entries === 0 || bytes % DESC !== 0) return `indirect table of ${bytes} bytes`;
  for (let i = 0; i < entries; i++) {
    const d = table + i * DESC;
    out.push({ addr: addrOf(mem, d), len: mem.read32(d + 8), writable: (mem.read16(d + 14) & VIRTQ_DESC_F_WRITE) !== 0 });
  }
  return null;
}

function finish(segments: Segments): AvailableBuffer {
  let readableBytes = 0;
  let writableBytes = 0;
  for (const s of segments) {
    if (s.writable) writableBytes += s.len;
    else readableBytes += s.len;
  }
  return { segments, readableBytes, writableBytes };
}

function splitBuffers(mem: RingMemory, q: RingPlace): AvailableBuffers {
  const availIdx = mem.read16(q.driverAddr + 2);
  const usedIdx = mem.read16(q.deviceAddr + 2);
  const count = (availIdx - usedIdx) & 0xffff;
  if (count > q.size) return { kind: 'malformed', reason: `avail.idx ${availIdx} is ${count} entries ahead of used.idx ${usedIdx}` };
  const buffers: AvailableBuffer[] = [];
  for (let k = 0; k < count; k++) {
    const head = mem.read16(q.driverAddr + 4 + 2 * ((usedIdx + k) % q.size));
    const segments: Segments = [];
    const seen = new Set<number>();
    for (let i = head; ; ) {
      if (i >= q.size || seen.has(i)) return { kind: 'malformed', reason: `chain from head ${head} leaves the table or loops` };
      seen.add(i);
      const d = q.descAddr + i * DESC;
      const flags = mem.read16(d + 12);
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        const bad = walkSplitIndirect(mem, addrOf(mem, d), mem.read32(d + 8), segments);
        if (bad !== null) return { kind: 'malformed', reason: bad };
        break;
      }
      segments.push({ addr: addrOf(mem, d), len: mem.read32(d + 8), writable: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
      i = mem.read16(d + 14);
    }
    buffers.push(finish(segments));
  }
  return { kind: 'buffers', buffers };
}

function packedBuffers(mem: RingMemory, q: RingPlace): AvailableBuffers {
  const buffers: AvailableBuffer[] = [];
  let segments: Segments = [];
  // First lap of a fresh ring: the driver's wrap counter is 1, so available means AVAIL set, USED clear.
  for (let slot = 0; slot < q.size; slot++) {
    const d = q.descAddr + slot * DESC;
    const flags = mem.read16(d + 14);
    if ((flags & VIRTQ_DESC_F_AVAIL) === 0 || (flags & VIRTQ_DESC_F_USED) !== 0) break;
    if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
      const bad = walkPackedIndirect(mem, addrOf(mem, d), mem.read32(d + 8), segments);
      if (bad !== null) return { kind: 'malformed', reason: bad };
    } else {
      segments.push({ addr: addrOf(mem, d), len: mem.read32(d + 8), writable: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
    }
    if ((flags & VIRTQ_DESC_F_NEXT) === 0) {
      buffers.push(finish(segments));
      segments = [];
    }
  }
  return { kind: 'buffers', buffers };
}

/**
 * The buffers available on a queue the device has not used yet: split, the avail entries from
 * used.idx to avail.idx; packed, the chains of the first lap that are available and not used.
 */
export function availableBuffers(mem: RingMemory, queue: RingPlace): AvailableBuffers {
  return queue.format === 'split' ? splitBuffers(mem, queue) : packedBuffers(mem, queue);
}
