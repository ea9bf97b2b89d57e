import { describe, expect, it } from 'vitest';
import { checkLayout, defineStruct, fieldEnd } from './layout.js';

describe('defineStruct', () => {
  it('lays sizes out back to back and totals them', () => {
    const s = defineStruct({ a: 1, b: 1, c: 2, d: 8 });
    expect(s.fields).toEqual({ a: { offset: 0, size: 1 }, b: { offset: 1, size: 1 }, c: { offset: 2, size: 2 }, d: { offset: 4, size: 8 } });
    expect(s.size).toBe(12);
    expect(fieldEnd(s, 'c')).toBe(4);
  });

  it('takes explicit offsets, continues after them, and honours an explicit size', () => {
    const s = defineStruct({ a: { offset: 4, size: 2 }, b: 2 }, 16);
    expect(s.fields.b).toEqual({ offset: 6, size: 2 });
    expect(s.size).toBe(16);
    expect(Object.isFrozen(s) && Object.isFrozen(s.fields) && Object.isFrozen(s.fields.a)).toBe(true);
  });
});

describe('checkLayout', () => {
  it('accepts gaps and rejects overlaps and overruns', () => {
    expect(checkLayout(defineStruct({ a: 1, b: { offset: 4, size: 4 } }))).toEqual({ kind: 'layout-ok' });
    const overlap = checkLayout(defineStruct({ a: 4, b: { offset: 2, size: 2 } }));
    expect(overlap).toEqual({ kind: 'layout-error', message: 'field b at 2 overlaps a ending at 4' });
    const overrun = checkLayout(defineStruct({ a: 8 }, 4));
    expect(overrun).toEqual({ kind: 'layout-error', message: 'field a ends at 8, past size 4' });
  });
});
