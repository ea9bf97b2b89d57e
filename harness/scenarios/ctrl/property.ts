/**
 * Running a ctrl property with fast-check and turning the result into a check outcome: a failed
 * property becomes `violated` with the evidence the failing step threw, the seed, the path and
 * the shrunk counterexample; the shrunk counterexample is then run once more so the trace ends
 * with exactly the failing run.
 *
 * @module
 */

import fc from 'fast-check';
import type { CheckOutcome } from '../../checks/check.js';
import type { RunConfig } from '../../checks/context.js';
import type { Trace } from '../../checks/trace.js';
import type { Evidence } from '../../checks/verdict.js';

/** Thrown by a scenario step that saw a clause broken. */
export class ClauseViolation extends Error {
  constructor(readonly evidence: Evidence) {
    super(`${evidence.clause}: ${evidence.observed}`);
    this.name = 'ClauseViolation';
  }
}

/** Thrown by a scenario step that could not decide (e.g. the device refused a needed set-up step). */
export class Undecided extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Undecided';
  }
}

/** Throws a {@link ClauseViolation}. */
export function violation(clause: string, observed: string, expected: string): never {
  throw new ClauseViolation({ clause, observed, expected });
}

/**
 * Runs for a property whose every run drives a live device: the configured runs scaled down by
 * `divisor`, at least `floor`. Each run costs control commands and frames through the register
 * seam, and the whole default suite must stay within seconds.
 */
export function scaledRuns(config: RunConfig, divisor: number, floor = 5): number {
  return Math.max(floor, Math.ceil(config.numRuns / divisor));
}

/**
 * Checks `predicate` over `arbitrary` with the run's seed, runs and path. A predicate signals a
 * broken clause by throwing {@link ClauseViolation}, an undecidable run by {@link Undecided};
 * any other throw is a crash of the check and is rethrown.
 */
export async function checkProperty<T>(
  config: RunConfig,
  trace: Trace,
  numRuns: number,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
): Promise<CheckOutcome> {
  const property = fc.asyncProperty(arbitrary, predicate);
  const details = await fc.check(property, {
    seed: config.seed,
    numRuns,
    ...(config.path === undefined ? {} : { path: config.path }),
  });
  if (!details.failed) return { kind: 'met' };
  if (details.counterexample === null) {
    return { kind: 'inconclusive', reason: details.interrupted ? 'the property run was interrupted' : 'fast-check gave up generating values' };
  }
  const [value] = details.counterexample;
  let error: unknown = details.errorInstance;
  // Replay the shrunk counterexample so the trace ends with the failing run itself.
  trace.record('--- replay of the shrunk counterexample ---');
  try {
    await predicate(value);
  } catch (replayed) {
    error = replayed;
  }
  const replay = { seed: config.seed, path: details.counterexamplePath, counterexample: fc.stringify(value) };
  if (error instanceof ClauseViolation) return { kind: 'violated', ...error.evidence, replay };
  if (error instanceof Undecided) return { kind: 'inconclusive', reason: error.reason };
  throw error;
}
