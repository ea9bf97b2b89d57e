import { describe, expect, test } from 'vitest';
import { ByteMemoryReader, DIGEST_SEED, digestRange, readU64 } from './memory-reader.js';

describe('ByteMemoryReader', () => {
  const bytes = new Uint8Array(64);
  const view = new DataView(bytes.buffer);
  const reader = new ByteMemoryReader(bytes, 0x1000);

  test('reads little-endian values at guest addresses offset by base', () => {
    view.setUint32(4, 0xdeadbeef, true);
    view.setUint16(10, 0xabcd, true);
    bytes[12] = 0x7f;
    expect(reader.read32(0x1004)).toBe(0xdeadbeef);
    expect(reader.read16(0x100a)).toBe(0xabcd);
    expect(reader.read8(0x100c)).toBe(0x7f);
    expect([...reader.readBytes(0x100a, 3)]).toEqual([0xcd, 0xab, 0x7f]);
  });

  test('contains checks the whole range, including empty and non-integer ranges', () => {
    expect(reader.contains(0x1000, 64)).toBe(true);
    expect(reader.contains(0x1000, 65)).toBe(false);
    expect(reader.contains(0xfff, 1)).toBe(false);
    expect(reader.contains(0x1040, 0)).toBe(true);
    expect(reader.contains(4096.5, 1)).toBe(false);
    expect(reader.contains(-1, 1)).toBe(false);
  });

  test('readBytes outside memory throws (callers check contains first)', () => {
    expect(() => reader.readBytes(0x1030, 32)).toThrow(RangeError);
  });

  test('readU64 assembles two halves and maps addresses of 2^53 and above to -1', () => {
    view.setUint32(16, 0x89abcdef, true);
    view.setUint32(20, 0x12, true);
    expect(readU64(reader, 0x1010)).toBe(0x12 * 2 ** 32 + 0x89abcdef);
    view.setUint32(20, 0x200000, true);
    expect(readU64(reader, 0x1010)).toBe(-1);
  });

  test('digestRange is FNV-1a: known value, chaining equals one pass, and a changed byte changes it', () => {
    const abc = new ByteMemoryReader(new TextEncoder().encode('abc'));
    expect(digestRange(abc, 0, 3) >>> 0).toBe(0x1a47e90b);
    expect(digestRange(abc, 1, 2, digestRange(abc, 0, 1))).toBe(digestRange(abc, 0, 3));
    expect(digestRange(abc, 0, 0)).toBe(DIGEST_SEED | 0);
    const before = digestRange(reader, 0x1000, 64);
    bytes[40] = (bytes[40] as number) ^ 1;
    expect(digestRange(reader, 0x1000, 64)).not.toBe(before);
  });
});
