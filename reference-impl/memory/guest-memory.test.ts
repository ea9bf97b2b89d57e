import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { GuestAllocator, GuestMemory } from './guest-memory.js';

describe('GuestMemory', () => {
  it('stores le16/le32/le64 least significant byte first', () => {
    const m = new GuestMemory(64);
    m.write16(0, 0x1234);
    m.write32(4, 0xdeadbeef);
    m.write64(8, 0x11223344, 0x55667788);
    expect([...m.bytes(0, 2)]).toEqual([0x34, 0x12]);
    expect([...m.bytes(4, 4)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect([...m.bytes(8, 8)]).toEqual([0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55]);
    expect(m.read64Lo(8)).toBe(0x11223344);
    expect(m.read64Hi(8)).toBe(0x55667788);
    expect(m.read32(4)).toBe(0xdeadbeef);
  });

  it('reads and writes at unaligned addresses', () => {
    const m = new GuestMemory(16);
    m.write32(1, 0xa1b2c3d4);
    m.write16(7, 0xbeef);
    expect([...m.bytes(1, 4)]).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    expect(m.read32(1)).toBe(0xa1b2c3d4);
    expect(m.read16(7)).toBe(0xbeef);
    expect(m.read8(8)).toBe(0xbe);
  });

  it('throws RangeError for accesses outside memory, negative or fractional addresses', () => {
    const m = new GuestMemory(16);
    expect(() => m.read32(13)).toThrow(RangeError);
    expect(() => m.read16(15)).toThrow(RangeError);
    expect(() => m.read8(16)).toThrow(RangeError);
    expect(() => m.write32(-4, 0)).toThrow(RangeError);
    expect(() => m.read8(1.5)).toThrow(RangeError);
    expect(() => m.bytes(8, 9)).toThrow(RangeError);
    expect(() => m.fill(0, 17)).toThrow(RangeError);
    expect(m.read32(12)).toBe(0);
  });

  it('checks ranges without overflow and treats hi != 0 as outside', () => {
    const m = new GuestMemory(4096);
    expect(m.contains(0, 4096)).toBe(true);
    expect(m.contains(4096, 0)).toBe(true);
    expect(m.contains(4095, 2)).toBe(false);
    expect(m.contains(0xffffffff, 2)).toBe(false);
    expect(m.contains(1, 0xffffffff)).toBe(false);
    expect(m.contains(-1, 1)).toBe(false);
    expect(m.contains64(16, 0, 16)).toBe(true);
    expect(m.contains64(16, 1, 16)).toBe(false);
  });

  test.prop([fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })])('contains agrees with exact arithmetic', (addr, len) => {
    const m = new GuestMemory(8192);
    expect(m.contains(addr, len)).toBe(addr + len <= 8192);
  });

  it('copies in and out in bulk; bytes() is a live view, copyOut a copy', () => {
    const m = new GuestMemory(32);
    m.writeBytes(4, Uint8Array.of(1, 2, 3));
    const view = m.bytes(4, 3);
    const copy = m.copyOut(4, 3);
    m.write8(5, 9);
    expect([...view]).toEqual([1, 9, 3]);
    expect([...copy]).toEqual([1, 2, 3]);
    const dst = new Uint8Array(2);
    m.readInto(5, dst);
    expect([...dst]).toEqual([9, 3]);
    m.fill(4, 2, 0xff);
    expect([...m.bytes(3, 4)]).toEqual([0, 0xff, 0xff, 3]);
  });

  it('wraps an existing buffer and shares it', () => {
    const buf = new ArrayBuffer(8);
    const m = new GuestMemory(buf);
    m.write32(0, 7);
    expect(new Uint32Array(buf)[0]).toBe(7);
    expect(() => new GuestMemory(-1)).toThrow(RangeError);
  });
});

describe('GuestAllocator', () => {
  it('hands out aligned, non-overlapping ranges and fails when exhausted', () => {
    const m = new GuestMemory(256);
    const a = new GuestAllocator(m, 4);
    expect(a.alloc(3)).toBe(4);
    expect(a.alloc(8, 16)).toBe(16);
    expect(a.alloc(2, 2)).toBe(24);
    expect(a.next).toBe(26);
    expect(() => a.alloc(1000)).toThrow(RangeError);
    expect(() => a.alloc(1, 3)).toThrow(RangeError);
    a.reset();
    expect(a.alloc(1)).toBe(4);
    expect(a.remaining).toBe(251);
  });
});
