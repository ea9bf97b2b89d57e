import { describe, expect, it } from 'vitest';
import { runScenarioProperty, SCENARIO_KINDS } from './scenario-workloads.js';

describe('the timed properties', () => {
  it('ring rows run exactly 50-step scenarios, with and without the observer', () => {
    for (const kind of ['ring-observed', 'ring-bare'] as const) {
      expect(runScenarioProperty(kind, 40, 1)).toEqual({ kind: 'ok', work: { runs: 40, units: 2000, minUnits: 50, maxUnits: 50 } });
    }
  });

  it('commands rows: about 20 commands a run with fc.commands, exactly 20 with the fixed-length list', () => {
    const free = runScenarioProperty('commands', 200, 1);
    if (free.kind !== 'ok') throw new Error(free.message);
    expect(free.work.units / free.work.runs).toBeGreaterThan(15);
    expect(free.work.units / free.work.runs).toBeLessThan(25);
    expect(runScenarioProperty('commands-exact', 50, 1)).toEqual({ kind: 'ok', work: { runs: 50, units: 1000, minUnits: 20, maxUnits: 20 } });
  });

  it('a seed gives the same work every time (what the suite compares across processes)', () => {
    for (const kind of SCENARIO_KINDS) expect(runScenarioProperty(kind, 30, 42)).toEqual(runScenarioProperty(kind, 30, 42));
  });
});
