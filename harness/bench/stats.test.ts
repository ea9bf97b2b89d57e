import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { geometricMean, median, range } from './stats.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  test.prop([fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 })])(
    'has as many values at or below it as at or above it, and does not reorder its input',
    (values) => {
      const copy = [...values];
      const m = median(values);
      expect(values).toEqual(copy);
      expect(values.filter((v) => v <= m).length * 2).toBeGreaterThanOrEqual(values.length);
      expect(values.filter((v) => v >= m).length * 2).toBeGreaterThanOrEqual(values.length);
    },
  );
});

describe('geometricMean', () => {
  it('is the n-th root of the product', () => {
    expect(geometricMean([2, 8])).toBeCloseTo(4, 12);
    expect(geometricMean([1, 3, 9])).toBeCloseTo(3, 12);
    expect(geometricMean([2.5])).toBeCloseTo(2.5, 12);
  });

  it('is NaN for no values or a non-positive value', () => {
    expect(geometricMean([])).toBeNaN();
    expect(geometricMean([1, 0])).toBeNaN();
    expect(geometricMean([1, -2])).toBeNaN();
  });

  test.prop([fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 })])(
    'lies between the smallest and the largest value',
    (values) => {
      const g = geometricMean(values);
      const [lo, hi] = range(values);
      expect(g).toBeGreaterThanOrEqual(lo * (1 - 1e-12));
      expect(g).toBeLessThanOrEqual(hi * (1 + 1e-12));
    },
  );
});

describe('range', () => {
  it('gives the smallest and largest value', () => {
    expect(range([3, -1, 7, 2])).toEqual([-1, 7]);
    expect(range([])).toEqual([Number.NaN, Number.NaN]);
  });
});
