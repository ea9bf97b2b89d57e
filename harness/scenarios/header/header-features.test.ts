import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { virtioNetHdrLength } from '../../../specs/net/hdr.js';
import { cutBytes, cutLengths, cutPoints, HEADER_FEATURES, HEADER_LENGTH_CLASSES, headerFeatureSet } from './header-features.js';

describe('header features', () => {
  it('gives one feature set per modern header length: 12, 20, 24, 32', () => {
    expect(HEADER_LENGTH_CLASSES.map((set) => virtioNetHdrLength(set | featureMask(VIRTIO_F_VERSION_1)))).toEqual([12, 20, 24, 32]);
  });

  test.prop([headerFeatureSet()])('draws only header features', (set) => {
    expect(set & ~featureMask(...HEADER_FEATURES)).toBe(0n);
  });
});

describe('cuts', () => {
  const bytesAndCuts = fc
    .uint8Array({ minLength: 1, maxLength: 80 })
    .chain((bytes) => fc.tuple(fc.constant(bytes), cutPoints(bytes.length, 12, 4)));

  test.prop([bytesAndCuts])('pieces join back into the bytes, at the cut positions', ([bytes, cuts]) => {
    const pieces = cutBytes(bytes, cuts);
    expect(Uint8Array.from(pieces.flatMap((p) => [...p]))).toEqual(bytes);
    expect(pieces.every((p) => p.length > 0)).toBe(true);
    expect(pieces.length).toBe(cuts.length + 1);
    expect(cutLengths(bytes.length, cuts)).toEqual(pieces.map((p) => p.length));
  });

  test.prop([fc.integer({ min: 2, max: 2000 }), fc.integer({ min: 10, max: 32 })])('cut points are ascending, distinct and inside the bytes', (total, hdr) => {
    fc.assert(
      fc.property(cutPoints(total, hdr), (cuts) => {
        expect([...cuts].sort((a, b) => a - b)).toEqual(cuts);
        expect(new Set(cuts).size).toBe(cuts.length);
        expect(cuts.every((c) => c >= 1 && c < total)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('ignores cuts outside the bytes or out of order', () => {
    expect(cutLengths(10, [0, 3, 3, 12])).toEqual([3, 7]);
  });
});
