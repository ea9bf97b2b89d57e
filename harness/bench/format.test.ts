import { describe, expect, it } from 'vitest';
import { fixed, formatTable } from './format.js';

describe('formatTable', () => {
  it('pads columns, right-aligns numbers and rules the header', () => {
    const text = formatTable({
      columns: ['config', 'C ns', 'ratio'],
      rows: [
        ['1-desc b=1', '17.6', '2.75×'],
        ['2-desc b=256', '117.0', '12.10×'],
      ],
    });
    expect(text.split('\n')).toEqual([
      'config        C ns   ratio',
      '------------  -----  ------',
      '1-desc b=1     17.6   2.75×',
      '2-desc b=256  117.0  12.10×',
    ]);
  });

  it('right-aligns ranges', () => {
    const text = formatTable({ columns: ['spread'], rows: [['1.0–2.0'], ['10.0–20.0']] });
    expect(text.split('\n').slice(2)).toEqual(['  1.0–2.0', '10.0–20.0']);
  });
});

describe('fixed', () => {
  it('rounds to the given decimals and shows NaN as a dash', () => {
    expect(fixed(2.345, 1)).toBe('2.3');
    expect(fixed(Number.NaN, 2)).toBe('–');
  });
});
