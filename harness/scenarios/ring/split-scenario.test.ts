/**
 * Long property runs of both sides of the reference split ring (2.7) with
 * the split observer watching: every combination of EVENT_IDX,
 * INDIRECT_DESC and IN_ORDER, indices starting up to two laps before
 * 65535 at any alignment, full rings, in-order batches, event-suppression edges. Each test
 * logs the scenario lengths and situations its runs reached and asserts
 * that they were long and varied enough to mean something.
 */
import { describe, expect, it } from 'vitest';
import { fillThenRandom, ringScenarioArbitrary } from './ring-arbitrary.js';
import { assertRingScenarios } from './ring-property.js';
import { RingScenario } from './ring-scenario.js';
import { encodeAddStep } from './ring-steps.js';

const COMBOS = [false, true].flatMap((eventIdx) =>
  [false, true].flatMap((indirect) => [false, true].map((inOrder) => ({ eventIdx, indirect, inOrder }))),
);

const label = (c: { eventIdx: boolean; indirect: boolean; inOrder: boolean }) =>
  [c.eventIdx ? 'EVENT_IDX' : '', c.indirect ? 'INDIRECT_DESC' : '', c.inOrder ? 'IN_ORDER' : ''].filter((s) => s !== '').join('+') || 'no ring features';

describe('split ring: driver and device with the observer watching', () => {
  for (const combo of COMBOS) {
    it(`${label(combo)}: every buffer comes back with its token and len, the model and observer agree, no finding`, () => {
      const cov = assertRingScenarios(ringScenarioArbitrary({ format: 'split', ...combo }), { numRuns: 250 });
      console.info(cov.summary(`split ${label(combo)}`));
      expect(cov.minSteps).toBeGreaterThanOrEqual(50);
      expect(cov.maxSteps).toBeGreaterThanOrEqual(300);
      expect(cov.meanSteps).toBeGreaterThan(150);
      // Start one or two laps before 65535: most runs cross it.
      expect(cov.runsWith.indexWraps).toBeGreaterThan(cov.runs / 2);
      expect(cov.runsWith.ringFull).toBeGreaterThan(cov.runs / 2);
      expect(cov.runsWith.kicksSuppressed).toBeGreaterThan(cov.runs / 4);
      expect(cov.runsWith.interruptsSuppressed).toBeGreaterThan(cov.runs / 4);
      if (combo.indirect) expect(cov.runsWith.indirectChains).toBeGreaterThan(cov.runs / 4);
      expect(cov.runsWith.longChains).toBeGreaterThan(0);
      if (combo.inOrder) expect(cov.runsWith.batches).toBeGreaterThan(cov.runs / 4);
      if (combo.eventIdx) expect(cov.runsWith.eventEdges).toBeGreaterThan(cov.runs / 4);
    });
  }

  it('large queues (128, 256) filled first, then 400 random steps', () => {
    const cov = assertRingScenarios(fillThenRandom('split', [128, 256]), { numRuns: 30 });
    console.info(cov.summary('split large queues'));
    expect(cov.minSteps).toBe(464);
    expect(cov.maxOutstanding).toBeGreaterThan(100);
    expect(cov.runsWith.ringFull).toBeGreaterThan(cov.runs / 2);
  });

  it('start indices near 65535 that are not a multiple of the queue size, with the observer watching', () => {
    const cov = assertRingScenarios(ringScenarioArbitrary({ format: 'split', sizes: [2, 4, 8, 16], initialIndex: 'near-wrap-unaligned' }), { numRuns: 300 });
    console.info(cov.summary('split unaligned start'));
    expect(cov.runsWith.indexWraps).toBeGreaterThan(cov.runs / 2);
    expect(cov.runsWith.ringFull).toBeGreaterThan(cov.runs / 2);
  });

  it('a queue that starts at avail.idx 65535: two adds cross the wrap, no finding', () => {
    const add = encodeAddStep(1, true, 4, (outs, ins) => outs + ins === 1);
    const s = new RingScenario({ format: 'split', size: 4, eventIdx: false, indirect: false, inOrder: false, initialIndex: 65535 }).run([add, add]);
    expect(s.violationKeys()).toEqual([]);
    expect(s.clean).toBe(true);
    expect([s.buffersAdded, s.buffersCollected, s.indexWraps]).toEqual([2, 2, 1]);
  });
});
