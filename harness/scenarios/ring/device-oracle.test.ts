import { describe, expect, it } from 'vitest';
import { GuestAllocator, GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { allocatePackedRing, allocateSplitRing } from '../../../reference-impl/virtqueue/index.js';
import { PackedDeviceOracle, SplitDeviceOracle } from './device-oracle.js';

const NEXT = 1;
const WRITE = 2;
const INDIRECT = 4;
const AVAIL = 0x80;
const USED = 0x8000;

function splitRig(indirect = true) {
  const mem = new GuestMemory(0x10000);
  const layout = allocateSplitRing(new GuestAllocator(mem, 0x100), 4);
  const desc = (i: number, addr: number, len: number, flags: number, next = 0) => {
    const d = layout.descAddr + 16 * i;
    mem.write64(d, addr, 0);
    mem.write32(d + 8, len);
    mem.write16(d + 12, flags);
    mem.write16(d + 14, next);
  };
  const publish = (...heads: number[]) => {
    heads.forEach((h, k) => mem.write16(layout.driverAddr + 4 + 2 * k, h));
    mem.write16(layout.driverAddr + 2, heads.length);
  };
  return { mem, layout, desc, publish, oracle: new SplitDeviceOracle(mem.buffer, layout, indirect) };
}

describe('SplitDeviceOracle', () => {
  it('predicts a readable-then-writable chain, then nothing', () => {
    const r = splitRig();
    r.desc(1, 0x8000, 12, NEXT, 3);
    r.desc(3, 0x9000, 100, WRITE);
    r.publish(1);
    expect(r.oracle.expect()).toEqual({
      kind: 'chain',
      id: 1,
      ringDescs: 2,
      indirect: false,
      segments: [
        { addr: 0x8000, len: 12, writable: false },
        { addr: 0x9000, len: 100, writable: true },
      ],
    });
    expect(r.oracle.expect()).toEqual({ kind: 'empty' });
  });

  it('follows an indirect table after a direct descriptor', () => {
    const r = splitRig();
    r.mem.write64(0xa000, 0x8100, 0);
    r.mem.write32(0xa008, 8);
    r.mem.write16(0xa00c, WRITE);
    r.desc(0, 0x8000, 4, NEXT, 2);
    r.desc(2, 0xa000, 16, INDIRECT);
    r.publish(0);
    const e = r.oracle.expect();
    expect(e.kind === 'chain' && [e.ringDescs, e.indirect, e.segments.length]).toEqual([2, true, 2]);
  });

  it.each([
    ['a loop', (r: ReturnType<typeof splitRig>) => (r.desc(0, 0x8000, 4, NEXT, 1), r.desc(1, 0x8000, 4, NEXT, 0))],
    ['a zero length', (r: ReturnType<typeof splitRig>) => r.desc(0, 0x8000, 0, 0)],
    ['a buffer past the end of memory', (r: ReturnType<typeof splitRig>) => r.desc(0, 0xfff0, 32, 0)],
    ['readable after writable', (r: ReturnType<typeof splitRig>) => (r.desc(0, 0x8000, 4, WRITE | NEXT, 1), r.desc(1, 0x8000, 4, 0))],
    ['INDIRECT and NEXT together', (r: ReturnType<typeof splitRig>) => r.desc(0, 0xa000, 16, INDIRECT | NEXT, 1)],
  ])('predicts an error for %s, sticky until reset', (_name, craft) => {
    const r = splitRig();
    craft(r);
    r.publish(0);
    expect(r.oracle.expect().kind).toBe('error');
    expect(r.oracle.expect().kind).toBe('error');
    r.oracle.reset();
    expect(r.oracle.expect().kind).toBe('error');
  });

  it('predicts an error for an avail.idx more than the queue size ahead, and for a head still held', () => {
    const r = splitRig();
    r.mem.write16(r.layout.driverAddr + 2, 5);
    expect(r.oracle.expect()).toEqual({ kind: 'error', reason: 'avail idx jump' });
    r.oracle.reset();
    r.desc(0, 0x8000, 4, 0);
    r.publish(0, 0);
    expect(r.oracle.expect().kind).toBe('chain');
    expect(r.oracle.expect()).toEqual({ kind: 'error', reason: 'head in flight' });
  });
});

describe('PackedDeviceOracle', () => {
  function packedRig() {
    const mem = new GuestMemory(0x10000);
    const layout = allocatePackedRing(new GuestAllocator(mem, 0x100), 2);
    const desc = (slot: number, addr: number, len: number, id: number, flags: number) => {
      const d = layout.descAddr + 16 * slot;
      mem.write64(d, addr, 0);
      mem.write32(d + 8, len);
      mem.write16(d + 12, id);
      mem.write16(d + 14, flags);
    };
    return { desc, oracle: new PackedDeviceOracle(mem.buffer, layout, true) };
  }

  it('predicts a two-descriptor list across the end of the ring with the id of its last descriptor', () => {
    const r = packedRig();
    r.desc(0, 0x8000, 8, 0, AVAIL);
    expect(r.oracle.expect()).toMatchObject({ kind: 'chain', id: 0, ringDescs: 1 });
    r.desc(1, 0x8000, 8, 9, AVAIL | NEXT);
    r.desc(0, 0x9000, 8, 5, USED | WRITE); // wrap counter 0 now: AVAIL = 0, USED = 1
    expect(r.oracle.expect()).toMatchObject({ kind: 'chain', id: 5, ringDescs: 2, segments: [{ writable: false }, { writable: true }] });
  });

  it('predicts nothing for a descriptor of the wrong lap and an error for a list into one', () => {
    const r = packedRig();
    r.desc(0, 0x8000, 8, 0, USED);
    expect(r.oracle.expect()).toEqual({ kind: 'empty' });
    r.desc(0, 0x8000, 8, 0, AVAIL | NEXT);
    r.desc(1, 0x8000, 8, 0, USED);
    expect(r.oracle.expect().kind).toBe('error');
  });
});
