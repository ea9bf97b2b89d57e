/**
 * The ring scenario property: every generated scenario, run through the
 * runner with the observer watching, must end clean (no finding, no model
 * disagreement, no ring error). Returns what the runs reached.
 *
 * @module
 */

import fc from 'fast-check';
import type { RingScenarioConfig } from './ring-config.js';
import { ringScenarioLabel } from './ring-config.js';
import type { RingScenarioOptions } from './ring-engine.js';
import { RingScenarioPool } from './ring-scenario-pool.js';
import { describeRun, RingCoverage } from './ring-stats.js';

/** Options of {@link assertRingScenarios}. */
export interface RingPropertyOptions extends RingScenarioOptions {
  /** Runs of the property. */
  readonly numRuns: number;
  /** fast-check seed, to replay a failure. */
  readonly seed?: number;
}

/**
 * Asserts that every scenario drawn from `arbitrary` runs clean.
 * @throws the fast-check failure (with the shrunk scenario and the reason) when one does not.
 */
export function assertRingScenarios(
  arbitrary: fc.Arbitrary<{ readonly config: RingScenarioConfig; readonly steps: readonly number[] }>,
  options: RingPropertyOptions,
): RingCoverage {
  const pool = new RingScenarioPool(options);
  const coverage = new RingCoverage();
  fc.assert(
    fc.property(arbitrary, ({ config, steps }) => {
      const s = pool.run(config, steps);
      coverage.add(s);
      if (!s.clean) throw new Error(`${ringScenarioLabel(config)}: ${describeRun(s)}`);
    }),
    options.seed === undefined ? { numRuns: options.numRuns } : { numRuns: options.numRuns, seed: options.seed },
  );
  return coverage;
}
