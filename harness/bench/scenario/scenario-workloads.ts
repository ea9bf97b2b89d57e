/**
 * The properties the scenario rows of `npm run bench` time, each one
 * fast-check property run at a given number of runs and seed:
 *
 * - `ring-observed`: the ring scenario property of harness/scenarios/ring
 *   (`assertRingScenarios`) over exactly 50-step scenarios on split rings
 *   (size, EVENT_IDX, INDIRECT_DESC, IN_ORDER and start index drawn as the
 *   product's split-ring properties draw them), with the ring observer
 *   watching: the property as the product runs it;
 * - `ring-bare`: the same without the observer (engine, runner and model only);
 * - `commands`: the `fc.commands` model property of `ring-commands.ts`,
 *   `maxCommands` 40 (fast-check draws 0..40, about 20 per run);
 * - `commands-exact`: the same commands and model, exactly 20 per run.
 *
 * @module
 */

import { assertRingScenarios } from '../../scenarios/ring/ring-property.js';
import { ringScenarioArbitrary } from '../../scenarios/ring/ring-arbitrary.js';
import { checkRingCommands } from './ring-commands.js';

/** Scenario length of the ring rows. */
export const SCENARIO_STEPS = 50;
/** Mean (`commands`) or exact (`commands-exact`) commands per run of the commands rows. */
export const COMMANDS_PER_RUN = 20;

/** The timed properties. */
export const SCENARIO_KINDS = ['ring-observed', 'ring-bare', 'commands', 'commands-exact'] as const;
/** One timed property. */
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** What one property check did: runs, and the steps or commands they executed. */
export interface ScenarioWork {
  readonly runs: number;
  /** Steps (ring rows) or commands (commands rows) executed, summed over runs. */
  readonly units: number;
  /** Fewest and most units in one run. */
  readonly minUnits: number;
  readonly maxUnits: number;
}

/** Outcome of {@link runScenarioProperty}. */
export type ScenarioRun = { readonly kind: 'ok'; readonly work: ScenarioWork } | { readonly kind: 'failed'; readonly message: string };

/**
 * Checks the property `kind` with `numRuns` runs from `seed`. A failing
 * property (a model disagreement or an observer finding) is an outcome, not
 * an exception: the benchmark then has no number to give.
 */
export function runScenarioProperty(kind: ScenarioKind, numRuns: number, seed: number): ScenarioRun {
  switch (kind) {
    case 'ring-observed':
    case 'ring-bare': {
      const arbitrary = ringScenarioArbitrary({ format: 'split' }, { minLength: SCENARIO_STEPS, maxLength: SCENARIO_STEPS });
      try {
        const c = assertRingScenarios(arbitrary, { numRuns, seed, observe: kind === 'ring-observed' });
        return { kind: 'ok', work: { runs: c.runs, units: c.totalSteps, minUnits: c.minSteps, maxUnits: c.maxSteps } };
      } catch (error) {
        return { kind: 'failed', message: (error as Error).message };
      }
    }
    case 'commands':
    case 'commands-exact': {
      const r = checkRingCommands({ shape: kind === 'commands' ? 'commands' : 'exact', commands: COMMANDS_PER_RUN, numRuns, seed });
      if (r.kind === 'failed') return { kind: 'failed', message: `${r.message} (counterexample ${r.counterexample})` };
      return { kind: 'ok', work: { runs: r.runs, units: r.commands, minUnits: r.minPerRun, maxUnits: r.maxPerRun } };
    }
  }
}
