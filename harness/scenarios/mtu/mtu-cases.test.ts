import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { frameLengthUpTo, invalidMtu, maxFrame, MTU_FIELD, oversizeBy, validMtu } from './mtu-cases.js';

describe('mtu cases', () => {
  test.prop([validMtu()])('valid mtus lie in 68..65535', (mtu) => {
    expect(mtu).toBeGreaterThanOrEqual(68);
    expect(mtu).toBeLessThanOrEqual(65535);
  });

  test.prop([validMtu(9000)])('a capped range stays under its cap', (mtu) => {
    expect(mtu).toBeLessThanOrEqual(9000);
  });

  test.prop([invalidMtu()])('invalid mtus lie below 68', (mtu) => {
    expect(mtu).toBeGreaterThanOrEqual(0);
    expect(mtu).toBeLessThan(68);
  });

  test.prop([validMtu().chain((mtu) => fc.tuple(fc.constant(mtu), frameLengthUpTo(mtu)))])('frame lengths never pass mtu + 14', ([mtu, length]) => {
    expect(length).toBeLessThanOrEqual(mtu + 14);
    expect(length).toBeGreaterThanOrEqual(Math.min(60, mtu + 14));
  });

  test.prop([oversizeBy()])('oversize steps are positive', (n) => {
    expect(n).toBeGreaterThan(0);
  });

  test('the mtu field is the le16 at offset 10, and a frame adds the Ethernet header', () => {
    expect(MTU_FIELD).toEqual({ offset: 10, size: 2 });
    expect(maxFrame(1500)).toBe(1514);
  });
});
