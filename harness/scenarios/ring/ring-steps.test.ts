import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { RING_SCENARIO_MAX_SEGMENTS, RING_SCENARIO_SEGMENT_BYTES } from './ring-config.js';
import { bufferShape, encodeAddStep, encodeRingStep, mix32, RING_OP_OF_CODE, RING_STEP_MAX, type RingOpName, segmentLength } from './ring-steps.js';

const OPS = [...new Set(RING_OP_OF_CODE)] as RingOpName[];

describe('ring step encoding', () => {
  test.prop([fc.constantFrom(...OPS), fc.nat(255), fc.nat(4095), fc.nat(63)])('encodes op, a, b and c into one step', (op, a, b, c) => {
    const s = encodeRingStep(op, a, b, c);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThanOrEqual(RING_STEP_MAX);
    expect([RING_OP_OF_CODE[s & 15], (s >>> 4) & 0xff, (s >>> 12) & 0xfff, s >>> 24]).toEqual([op, a, b, c]);
  });

  it('weights the 16 codes: adds and pushes 3 each, pops, reaps and services 2, the rest 1', () => {
    const count = (op: RingOpName) => RING_OP_OF_CODE.filter((o) => o === op).length;
    expect(OPS.map((op) => [op, count(op)])).toEqual([
      ['add', 3], ['kick', 1], ['reap', 2], ['callbacks', 1], ['pop', 2], ['push', 3], ['notify', 1], ['device-notifications', 1], ['service', 2],
    ]);
  });

  it('rejects fields out of range', () => {
    expect(() => encodeRingStep('add', 256)).toThrow(RangeError);
    expect(() => encodeRingStep('add', 0, 4096)).toThrow(RangeError);
    expect(() => encodeRingStep('add', 0, 0, 64)).toThrow(RangeError);
  });

  test.prop([fc.integer(), fc.constantFrom(1, 2, 3, 4, 7, 8, 16, 64, 256)])('shapes a buffer of 1..min(size, 8) segments of 1..64 bytes', (seed, size) => {
    const shape = bufferShape(seed, size);
    const total = (shape & 0xff) + (shape >>> 8);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(Math.min(size, RING_SCENARIO_MAX_SEGMENTS));
    for (let j = 0; j < total; j++) {
      expect(segmentLength(seed, j)).toBeGreaterThanOrEqual(1);
      expect(segmentLength(seed, j)).toBeLessThanOrEqual(RING_SCENARIO_SEGMENT_BYTES);
    }
  });

  it('finds add steps with the requested shapes', () => {
    const s = encodeAddStep(2, true, 8, (outs, ins) => outs === 1 && ins === 1);
    expect([RING_OP_OF_CODE[s & 15], (s >>> 4) & 3, (s >>> 24) & 1]).toEqual(['add', 1, 1]);
    for (let k = 0; k < 2; k++) expect(bufferShape(mix32(s, k), 8)).toBe(1 | (1 << 8));
    expect(() => encodeAddStep(1, false, 1, (outs, ins) => outs + ins === 2)).toThrow(RangeError);
  });
});
