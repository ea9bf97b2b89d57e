import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { GuestAllocator, GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import {
  allocateIndirectArea,
  allocatePackedRing,
  allocateSplitRing,
  PackedDriverQueue,
  SplitDriverQueue,
} from '../../../reference-impl/virtqueue/index.js';
import { availableBuffers } from './avail-buffers.js';

type Buffer = { readonly out: readonly number[]; readonly inn: readonly number[] };

const bufferArb: fc.Arbitrary<Buffer> = fc
  .record({ out: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 3 }), inn: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 3 }) })
  .filter((b) => b.out.length + b.inn.length > 0);

/** Posts `buffers` with the reference driver-side engine and reads them back with the walker. */
function roundTrip(format: 'split' | 'packed', indirect: boolean, buffers: readonly Buffer[]) {
  const mem = new GuestMemory(1 << 20);
  const alloc = new GuestAllocator(mem, 0x100);
  const size = 16;
  const layout = format === 'split' ? allocateSplitRing(alloc, size) : allocatePackedRing(alloc, size);
  const indirectArea = indirect ? allocateIndirectArea(alloc, size, 8) : undefined;
  const options = {
    ...layout,
    eventIdx: false,
    indirect,
    inOrder: false,
    ...(indirectArea === undefined ? {} : { indirectArea, indirectMaxEntries: 8 }),
  };
  const ring = format === 'split' ? new SplitDriverQueue<number>(mem, options) : new PackedDriverQueue<number>(mem, options);
  const posted: Buffer[] = [];
  let next = alloc.alloc(0, 16) + 0x1000;
  const seg = (len: number) => {
    const addr = next;
    next += len + 16;
    return { addr, len };
  };
  for (const [i, b] of buffers.entries()) {
    if (ring.addSgs(b.out.map(seg), b.inn.map(seg), i).kind !== 'added') break;
    posted.push(b);
  }
  return { posted, read: availableBuffers(mem, { format, ...layout }) };
}

describe('availableBuffers', () => {
  for (const format of ['split', 'packed'] as const) {
    for (const indirect of [false, true]) {
      test.prop([fc.array(bufferArb, { maxLength: 12 })], { numRuns: 60 })(`reads back what the driver engine posted (${format}, indirect ${indirect})`, (buffers) => {
        const { posted, read } = roundTrip(format, indirect, buffers);
        expect(read.kind).toBe('buffers');
        if (read.kind !== 'buffers') return;
        expect(read.buffers.map((b) => b.segments.map((s) => [s.len, s.writable]))).toEqual(
          posted.map((b) => [...b.out.map((len) => [len, false]), ...b.inn.map((len) => [len, true])]),
        );
        expect(read.buffers.map((b) => b.writableBytes)).toEqual(posted.map((b) => b.inn.reduce((s, n) => s + n, 0)));
        expect(read.buffers.map((b) => b.readableBytes)).toEqual(posted.map((b) => b.out.reduce((s, n) => s + n, 0)));
      });
    }
  }

  it('reports a split avail index too far ahead as malformed', () => {
    const mem = new GuestMemory(1 << 16);
    const layout = allocateSplitRing(new GuestAllocator(mem, 0x100), 8);
    mem.write16(layout.driverAddr + 2, 9);
    expect(availableBuffers(mem, { format: 'split', ...layout })).toEqual({ kind: 'malformed', reason: 'avail.idx 9 is 9 entries ahead of used.idx 0' });
  });

  it('reports a looping split chain as malformed', () => {
    const mem = new GuestMemory(1 << 16);
    const layout = allocateSplitRing(new GuestAllocator(mem, 0x100), 8);
    // Descriptor 0 chains to itself (NEXT, next = 0), published once.
    mem.write32(layout.descAddr + 8, 64);
    mem.write16(layout.descAddr + 12, 1);
    mem.write16(layout.driverAddr + 2, 1);
    const read = availableBuffers(mem, { format: 'split', ...layout });
    expect(read.kind).toBe('malformed');
  });
});
