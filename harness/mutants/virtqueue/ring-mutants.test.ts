/**
 * The ring observers catch every broken engine variant: each mutant of the
 * catalog, run through the ring scenario runner, produces a finding of its
 * rule and clause in its short canonical scenario (where the unmodified
 * engine produces none), and a random search over long scenarios finds it
 * within a few runs, shrinking to a short counterexample its rules report.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_OBSERVER_RULES, type RingViolation } from '../../observers/index.js';
import { RingScenario, RingScenarioPool, ringScenarioArbitrary } from '../../scenarios/ring/index.js';
import { RING_MUTANTS, ringMutant } from './index.js';

const violations = (findings: readonly { kind: string }[]) => findings.filter((f): f is RingViolation => f.kind === 'violation');

describe('ring mutant catalog', () => {
  it('has unique ids, names rules of its format that cite its clause and judge its side', () => {
    expect(new Set(RING_MUTANTS.map((m) => m.id)).size).toBe(RING_MUTANTS.length);
    for (const m of RING_MUTANTS) {
      const rule = RING_OBSERVER_RULES.find((r) => r.id === m.rule);
      expect(rule, m.id).toBeDefined();
      expect([m.id.startsWith(`${m.format}.`), rule?.format, rule?.clauses.includes(m.clause), rule?.role]).toEqual([true, m.format, true, m.side]);
      for (const also of m.alsoCaughtBy) expect(RING_OBSERVER_RULES.some((r) => r.id === also && r.format === m.format), `${m.id}: ${also}`).toBe(true);
      expect(m.bug.length).toBeGreaterThan(20);
      expect(m.imitates.length).toBeGreaterThan(5);
    }
  });

  it('covers the three bugs of the issue for both formats: wrap off-by-one, used entry before its length, missing notification', () => {
    const ids = RING_MUTANTS.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([
      'split.used-idx-wraps-at-ffff', 'packed.wrap-flip-late', 'packed.avail-wrap-flip-late',
      'split.used-idx-before-len', 'packed.used-flags-before-len',
      'split.missing-used-notification', 'packed.missing-used-notification', 'split.missing-kick', 'packed.missing-kick',
    ]));
    expect(() => ringMutant('split.no-such-bug')).toThrow(RangeError);
  });
});

describe.each(RING_MUTANTS.map((m) => [m.id, m] as const))('%s', (_id, m) => {
  it(`is reported as ${m.rule} (${m.clause}) in its canonical scenario, where the unmodified engine is clean`, () => {
    const clean = new RingScenario(m.canonical.config).run(m.canonical.steps);
    expect(clean.clean).toBe(true);
    const s = new RingScenario(m.canonical.config, { engine: m.engine }).run(m.canonical.steps);
    const v = violations(s.findings);
    expect(v.length).toBeGreaterThan(0);
    expect({ rule: v[0]?.rule, clause: v[0]?.clause, role: v[0]?.role }).toEqual({ rule: m.rule, clause: m.clause, role: m.side });
  });

  it('is found by a random search over long scenarios and shrunk to a short counterexample its rules report', () => {
    const pool = new RingScenarioPool({ engine: m.engine });
    const noViolation = (config: Parameters<RingScenarioPool['run']>[0], steps: readonly number[]) => violations(pool.run(config, steps).findings).length === 0;
    const result = fc.check(
      fc.property(ringScenarioArbitrary(m.search, { minLength: 1, maxLength: 400 }), ({ config, steps }) => noViolation(config, steps)),
      { numRuns: 200 },
    );
    expect(result.failed).toBe(true);
    const ce = result.counterexample?.[0];
    if (ce === undefined) throw new Error('no counterexample');
    const rules = violations(pool.run(ce.config, ce.steps).findings).map((f) => f.rule);
    expect([m.rule, ...m.alsoCaughtBy]).toEqual(expect.arrayContaining([rules[0]]));
    console.info(`${m.id}: found after ${result.numRuns} run(s), shrunk ${result.numShrinks} times to ${ce.steps.length} steps on ${ce.config.format}/q${ce.config.size}: ${rules[0]}`);
    expect(ce.steps.length).toBeLessThanOrEqual(40);
  });
});
