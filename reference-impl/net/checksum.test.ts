import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checksumVerifies, completeChecksum, onesComplementSum } from './checksum.js';

describe('Internet checksum', () => {
  it('matches the RFC 1071 worked example', () => {
    expect(onesComplementSum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7), 0, 8)).toBe(0xddf2);
  });

  it('pads an odd byte with zero', () => {
    expect(onesComplementSum(Uint8Array.of(0x12, 0x34, 0x56), 0, 3)).toBe(0x1234 + 0x5600);
  });

  it('refuses a checksum position outside the frame and writes nothing', () => {
    const f = new Uint8Array(20);
    expect(completeChecksum(f, 10, 9)).toBe(false);
    expect(f.every((b) => b === 0)).toBe(true);
  });

  test.prop([fc.uint8Array({ minLength: 4, maxLength: 200 }), fc.nat(), fc.integer({ min: 0, max: 0xffff })])(
    'a completed checksum verifies against the pseudo-header sum left in the field',
    (bytes, pos, pseudo) => {
      const frame = Uint8Array.from(bytes);
      const start = pos % (frame.length - 2);
      const offset = (frame.length - 2 - start) & ~1;
      frame[start + offset] = pseudo >>> 8;
      frame[start + offset + 1] = pseudo & 0xff;
      expect(completeChecksum(frame, start, offset)).toBe(true);
      // Independent check: sum 16-bit words with plain arithmetic and fold mod 0xffff.
      let sum = pseudo;
      for (let i = start; i < frame.length; i += 2) sum += ((frame[i] as number) << 8) | (frame[i + 1] ?? 0);
      expect(sum % 0xffff).toBe(0);
      expect(checksumVerifies(frame, start, pseudo)).toBe(true);
    },
  );
});
