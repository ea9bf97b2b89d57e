import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../memory/guest-memory.js';
import { DeviceChain, readChain, writeChain } from './device-chain.js';

function chainOf(segs: [addr: number, len: number, writable: boolean][]): DeviceChain {
  const c = new DeviceChain({}, 1);
  for (const [addr, len, w] of segs) c.append(addr, len, w);
  return c;
}

describe('DeviceChain', () => {
  it('keeps readable segments first and sums both parts, growing its storage', () => {
    const c = chainOf([
      [0, 4, false],
      [8, 6, false],
      [16, 10, true],
    ]);
    expect([c.count, c.readableCount, c.writableCount, c.readableBytes, c.writableBytes]).toEqual([3, 2, 1, 10, 10]);
    expect([...c.addr.subarray(0, 3)]).toEqual([0, 8, 16]);
    c.finish(0, 0, 0, 0);
    expect([c.count, c.ringDescs, c.indirect]).toEqual([0, 0, false]);
  });

  it('gathers readable bytes across segments from an offset', () => {
    const mem = new GuestMemory(64);
    mem.writeBytes(0, Uint8Array.of(1, 2, 3, 4));
    mem.writeBytes(8, Uint8Array.of(5, 6));
    mem.writeBytes(16, Uint8Array.of(9, 9));
    const c = chainOf([
      [0, 4, false],
      [8, 2, false],
      [16, 2, true],
    ]);
    const dst = new Uint8Array(4);
    expect(readChain(mem, c, dst, 2)).toBe(4);
    expect([...dst]).toEqual([3, 4, 5, 6]);
    expect(readChain(mem, c, new Uint8Array(10))).toBe(6);
  });

  it('scatters into writable segments only, from an offset, and reports short writes', () => {
    const mem = new GuestMemory(64);
    const c = chainOf([
      [0, 4, false],
      [8, 3, true],
      [16, 3, true],
    ]);
    expect(writeChain(mem, c, Uint8Array.of(1, 2, 3, 4), 1)).toBe(4);
    expect([...mem.bytes(0, 4)]).toEqual([0, 0, 0, 0]);
    expect([...mem.bytes(8, 3)]).toEqual([0, 1, 2]);
    expect([...mem.bytes(16, 3)]).toEqual([3, 4, 0]);
    expect(writeChain(mem, c, new Uint8Array(10))).toBe(6);
  });
});
