/**
 * Long property runs of both sides of the reference packed ring (2.8) with
 * the packed observer watching: every combination of EVENT_IDX,
 * INDIRECT_DESC and IN_ORDER on queue sizes from 1 to 64 (powers of 2 and
 * not), so that the wrap counters flip many times per run, with full rings,
 * in-order batches and descriptor-event edges. Each test logs the lengths
 * and situations its runs reached and asserts they were long and varied.
 */
import { describe, expect, it } from 'vitest';
import { fillThenRandom, ringScenarioArbitrary } from './ring-arbitrary.js';
import { assertRingScenarios } from './ring-property.js';
import { RingScenario } from './ring-scenario.js';
import { encodeAddStep, encodeRingStep } from './ring-steps.js';

const COMBOS = [false, true].flatMap((eventIdx) =>
  [false, true].flatMap((indirect) => [false, true].map((inOrder) => ({ eventIdx, indirect, inOrder }))),
);

const label = (c: { eventIdx: boolean; indirect: boolean; inOrder: boolean }) =>
  [c.eventIdx ? 'EVENT_IDX' : '', c.indirect ? 'INDIRECT_DESC' : '', c.inOrder ? 'IN_ORDER' : ''].filter((s) => s !== '').join('+') || 'no ring features';

describe('packed ring: driver and device with the observer watching', () => {
  for (const combo of COMBOS) {
    it(`${label(combo)}: every buffer comes back with its token and len, the model and observer agree, no finding`, () => {
      const cov = assertRingScenarios(ringScenarioArbitrary({ format: 'packed', ...combo }), { numRuns: 250 });
      console.info(cov.summary(`packed ${label(combo)}`));
      expect(cov.minSteps).toBeGreaterThanOrEqual(50);
      expect(cov.maxSteps).toBeGreaterThanOrEqual(300);
      expect(cov.meanSteps).toBeGreaterThan(150);
      // Small rings: the driver's wrap counter flips in almost every run, many times in some.
      expect(cov.runsWith.indexWraps).toBeGreaterThan(cov.runs * 0.8);
      expect(cov.maxIndexWraps).toBeGreaterThanOrEqual(15);
      expect(cov.runsWith.ringFull).toBeGreaterThan(cov.runs / 2);
      expect(cov.runsWith.kicksSuppressed).toBeGreaterThan(cov.runs / 4);
      expect(cov.runsWith.interruptsSuppressed).toBeGreaterThan(cov.runs / 10);
      expect(cov.runsWith.longChains).toBeGreaterThan(0);
      if (combo.indirect) expect(cov.runsWith.indirectChains).toBeGreaterThan(cov.runs / 4);
      if (combo.inOrder) expect(cov.runsWith.batches).toBeGreaterThan(cov.runs / 4);
      if (combo.eventIdx) expect(cov.runsWith.eventEdges).toBeGreaterThan(cov.runs / 4);
    });
  }

  it('large queues (100, 256) filled first, then 400 random steps', () => {
    const cov = assertRingScenarios(fillThenRandom('packed', [100, 256]), { numRuns: 30 });
    console.info(cov.summary('packed large queues'));
    expect(cov.minSteps).toBe(464);
    expect(cov.maxOutstanding).toBeGreaterThan(90);
    expect(cov.runsWith.ringFull).toBeGreaterThan(cov.runs / 2);
  });

  // A kick window longer than the ring. With RING_EVENT_FLAGS_DESC the device asks for (slot 0,
  // wrap 1) = position 0; the driver makes positions 0 and 1 available (Q = 1) with the device
  // polling in between, then decides. The event descriptor was made available inside the window
  // (packed.evsupp.any.1.driver read literally, as the observer does), though not in the current
  // lap, which is all `vring_packed_need_event` looks at: the engine kicks because Q or more
  // descriptors went by since its last decision.
  it('a kick window longer than the ring: the engine kicks, no finding', () => {
    const add = encodeAddStep(1, false, 1, (outs, ins) => outs + ins === 1);
    const steps = [encodeRingStep('device-notifications', 1), add, encodeRingStep('service'), encodeRingStep('reap', 8), add];
    const s = new RingScenario({ format: 'packed', size: 1, eventIdx: true, indirect: false, inOrder: false }).run(steps);
    expect(s.violationKeys()).toEqual([]);
    expect(s.clean).toBe(true);
    expect([s.buffersAdded, s.buffersCollected, s.indexWraps]).toEqual([2, 2, 2]);
    expect(s.kicks).toBeGreaterThanOrEqual(1);
  });

  it('the same window is clean when the runner decides at least once per lap (packedDecisionEveryLap)', () => {
    const add = encodeAddStep(1, false, 1, (outs, ins) => outs + ins === 1);
    const steps = [encodeRingStep('device-notifications', 1), add, encodeRingStep('service'), encodeRingStep('reap', 8), add];
    const s = new RingScenario({ format: 'packed', size: 1, eventIdx: true, indirect: false, inOrder: false }, { packedDecisionEveryLap: true }).run(steps);
    expect(s.clean).toBe(true);
    expect([s.buffersAdded, s.buffersCollected, s.indexWraps]).toEqual([2, 2, 2]);
  });
});
