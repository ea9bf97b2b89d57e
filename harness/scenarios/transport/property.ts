/**
 * Runs a fast-check property for a transport check and turns the result into a check outcome: a
 * violation found in a run carries its clause evidence and what replays it (seed, path, the shrunk
 * counterexample). A run that cannot be judged (the device refused a needed step) is undecided;
 * when no run could be judged the outcome is inconclusive, never met.
 *
 * @module
 */

import fc from 'fast-check';
import type { CheckOutcome } from '../../checks/check.js';
import type { RunConfig } from '../../checks/context.js';
import type { Evidence } from '../../checks/verdict.js';

/** A clause violation found inside a property run. */
export class Finding extends Error {
  constructor(readonly evidence: Evidence) {
    super(`${evidence.clause}: ${evidence.observed} (expected: ${evidence.expected})`);
    this.name = 'Finding';
  }
}

/** A run that could not be judged. */
export class Undecided extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Undecided';
  }
}

/** Throws a {@link Finding}. */
export function violation(clause: string, observed: string, expected: string): never {
  throw new Finding({ clause, observed, expected });
}

/** Throws an {@link Undecided}. */
export function undecided(reason: string): never {
  throw new Undecided(reason);
}

/** Options of {@link checkProperty}. */
export interface PropertyOptions<T> {
  /**
   * Divides the configured run count: each run of these properties drives a device through a
   * whole set-up, so this keeps the default run of every check within seconds. @default 10
   */
  readonly scale?: number;
  /** @default 5 */
  readonly minRuns?: number;
  /** Cases run first whatever the seed: the corners a check must always visit. */
  readonly examples?: readonly T[];
}

/**
 * Runs `body` for values of `arbitrary` with the run's seed and path, `examples` first; the run
 * count is the configured one divided by `scale` (at least `minRuns`).
 */
export async function checkProperty<T>(
  config: RunConfig,
  arbitrary: fc.Arbitrary<T>,
  body: (value: T) => Promise<void>,
  options: PropertyOptions<T> = {},
): Promise<CheckOutcome> {
  const scale = options.scale ?? 10;
  const minRuns = options.minRuns ?? 5;
  let decided = 0;
  let lastUndecided = '';
  const numRuns = Math.max(minRuns, Math.floor(config.numRuns / scale));
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      try {
        await body(value);
        decided++;
      } catch (error) {
        if (error instanceof Undecided) {
          lastUndecided = error.reason;
          return;
        }
        throw error;
      }
    }),
    {
      seed: config.seed,
      numRuns,
      ...(config.path === undefined ? {} : { path: config.path }),
      ...(options.examples === undefined ? {} : { examples: options.examples.map((e): [T] => [e]) }),
    },
  );
  return outcomeOf(details, decided, lastUndecided);
}

/** Turns fast-check run details into a check outcome; a throw other than a {@link Finding} propagates. */
export function outcomeOf<T>(details: fc.RunDetails<T>, decided: number, lastUndecided: string): CheckOutcome {
  if (details.failed) {
    const error = details.errorInstance;
    if (!(error instanceof Finding)) throw error instanceof Error ? error : new Error(String(error));
    return {
      kind: 'violated',
      ...error.evidence,
      replay: {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        counterexample: details.counterexample === null ? '' : fc.stringify(details.counterexample),
      },
    };
  }
  if (decided === 0) return { kind: 'inconclusive', reason: lastUndecided || 'no run could be judged' };
  return { kind: 'met' };
}

/** Runs a one-shot body the same way: a Finding becomes `violated`, an Undecided `inconclusive`. */
export async function judgeOnce(body: () => Promise<void>): Promise<CheckOutcome> {
  try {
    await body();
    return { kind: 'met' };
  } catch (error) {
    if (error instanceof Finding) return { kind: 'violated', ...error.evidence };
    if (error instanceof Undecided) return { kind: 'inconclusive', reason: error.reason };
    throw error;
  }
}
