import { describe, expect, it } from 'vitest';
import { virtqUsedRingEntryOffset } from '../../../specs/virtqueue/index.js';
import { checkRingScenarioConfig, type RingScenarioConfig } from './ring-config.js';
import { RingScenario } from './ring-scenario.js';
import { RingScenarioPool } from './ring-scenario-pool.js';
import { encodeAddStep, encodeRingStep, mix32, segmentLength } from './ring-steps.js';

const split = (size: number, extra: Partial<RingScenarioConfig> = {}): RingScenarioConfig => ({
  format: 'split',
  size,
  eventIdx: false,
  indirect: false,
  inOrder: false,
  ...extra,
});
const oneSegment = (outs: number, ins: number) => outs + ins === 1;
const oneWritable = (outs: number, ins: number) => outs === 0 && ins === 1;

describe('RingScenario', () => {
  it('fills a ring of 4: the fifth add is refused, and the drain brings all four back', () => {
    const steps = [encodeAddStep(4, false, 4, oneSegment), encodeAddStep(1, true, 4, oneSegment)];
    const r = new RingScenario(split(4));
    const s = r.run(steps);
    expect(s.clean).toBe(true);
    expect([s.steps, s.buffersAdded, s.ringFull, s.maxOutstanding, s.buffersCollected]).toEqual([2, 4, 1, 4, 4]);
    const l = r.plan.layout;
    // avail.idx and used.idx both at 4 after the drain.
    expect([r.mem.read16(l.driverAddr + 2), r.mem.read16(l.deviceAddr + 2)]).toEqual([4, 4]);
    expect(r.observer?.findings).toEqual([]);
  });

  it('IN_ORDER: one used entry publishes a batch of three, the earlier two come back with their full writable length', () => {
    const add = encodeAddStep(3, true, 8, oneWritable);
    // pop 3; push 3 deferred (a & 4) with lens w/2, 0, w (c = 3, 0, 1 for the three); service flushes the batch.
    const steps = [add, encodeRingStep('pop', 2), encodeRingStep('push', 6, 0, 3), encodeRingStep('service')];
    const r = new RingScenario(split(8, { inOrder: true }));
    const s = r.run(steps);
    expect(s.clean).toBe(true);
    expect([s.buffersAdded, s.batches, s.buffersCollected]).toEqual([3, 1, 3]);
    const e = r.plan.layout.deviceAddr + virtqUsedRingEntryOffset(0);
    // IN_ORDER allocates descriptors 0, 1, 2; the one entry names the last head with its own len.
    expect([r.mem.read32(e), r.mem.read32(e + 4), r.mem.read16(r.plan.layout.deviceAddr + 2)]).toEqual([2, segmentLength(mix32(add, 2), 0), 3]);
  });

  it('wraps a split index: started at 65532 on a ring of 4, eight buffers cross 65535', () => {
    const cycle = [encodeAddStep(1, true, 4, oneSegment), encodeRingStep('service'), encodeRingStep('reap', 8)];
    const r = new RingScenario(split(4, { initialIndex: 65532 }));
    const s = r.run(Array.from({ length: 8 }, () => cycle).flat());
    expect(s.clean).toBe(true);
    expect([s.buffersAdded, s.indexWraps]).toEqual([8, 1]);
    expect(r.mem.read16(r.plan.layout.driverAddr + 2)).toBe(4);
  });

  it('runs are repeatable over reused memory, across configurations', () => {
    const pool = new RingScenarioPool();
    const steps = Array.from({ length: 60 }, (_, i) => mix32(i, 7) & 0x3fffffff);
    const snapshot = (c: RingScenarioConfig) => {
      const s = pool.run(c, steps);
      return [s.clean, s.steps, s.buffersAdded, s.buffersCollected, s.ringFull, s.kicks, s.interrupts];
    };
    const a = snapshot(split(8, { eventIdx: true }));
    snapshot({ ...split(5), format: 'packed' });
    expect(snapshot(split(8, { eventIdx: true }))).toEqual(a);
    expect(a[0]).toBe(true);
    expect(pool.get(split(8)).mem).toBe(pool.get({ ...split(5), format: 'packed' }).mem);
  });

  it('without the observer, runs the same model checks and reports no findings', () => {
    const steps = Array.from({ length: 80 }, (_, i) => mix32(i, 3) & 0x3fffffff);
    const watched = new RingScenario(split(8)).run(steps);
    const r = new RingScenario(split(8), { observe: false });
    const s = r.run(steps);
    expect(r.observer).toBeNull();
    expect([s.clean, s.buffersAdded, s.buffersCollected]).toEqual([true, watched.buffersAdded, watched.buffersCollected]);
  });

  it('rejects configurations it cannot run', () => {
    expect(checkRingScenarioConfig(split(3))).toMatch(/queue size 3/);
    expect(checkRingScenarioConfig(split(512))).toMatch(/queue size 512/);
    expect(checkRingScenarioConfig({ ...split(4), format: 'packed', initialIndex: 5 })).toMatch(/packed/);
    expect(checkRingScenarioConfig(split(4, { initialIndex: 70000 }))).toMatch(/u16/);
    expect(checkRingScenarioConfig({ ...split(3), format: 'packed' })).toBeNull();
    expect(() => new RingScenario(split(3))).toThrow(RangeError);
  });
});
