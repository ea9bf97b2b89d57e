/**
 * Runs a fast-check property for a check and turns its result into a check outcome: a failing run
 * carries the clause evidence of the shrunk counterexample and what replays it (seed, path,
 * counterexample). A property body reports a violation by throwing a {@link Finding}; anything
 * else it throws is a harness or adapter error and propagates (the runner reports it as crashed).
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

/** A property run that could not be judged (the device refused a needed step). */
export class Undecided extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Undecided';
  }
}

/** Throws a {@link Finding} for `evidence`. */
export function violation(clause: string, observed: string, expected: string): never {
  throw new Finding({ clause, observed, expected });
}

/** Options of {@link checkProperty}. */
export interface PropertyRunOptions {
  /**
   * Divides the configured run count: properties that build a device or a rig per run keep the
   * whole default run within seconds. At least `minRuns` runs happen. @default 1
   */
  readonly scale?: number;
  /** @default 5 */
  readonly minRuns?: number;
}

/**
 * Checks `arbitrary` against `body` with the run's seed, path and run count. `body` throws a
 * {@link Finding} on a violation and an {@link Undecided} when a run cannot be judged; when every
 * run was undecided the outcome is inconclusive, never met.
 */
export async function checkProperty<T>(
  config: RunConfig,
  arbitrary: fc.Arbitrary<T>,
  body: (value: T) => Promise<void>,
  options: PropertyRunOptions = {},
): Promise<CheckOutcome> {
  let decided = 0;
  let lastUndecided = '';
  const numRuns = Math.max(options.minRuns ?? 5, Math.floor(config.numRuns / (options.scale ?? 1)));
  const { path } = splitReplayPath(config.path);
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
    { seed: config.seed, numRuns, ...(path === undefined ? {} : { path }) },
  );
  return outcomeOf(details, decided, lastUndecided);
}

/**
 * A replay path as {@link checkProperty} reports it: fast-check's path, then, for `fc.commands`
 * properties, `#` and the commands' own replay path (without it fast-check cannot rebuild the
 * shrunk command list).
 */
export function splitReplayPath(path: string | undefined): { readonly path: string | undefined; readonly commands: string | undefined } {
  if (path === undefined) return { path: undefined, commands: undefined };
  const at = path.indexOf('#');
  return at < 0 ? { path, commands: undefined } : { path: path.slice(0, at), commands: path.slice(at + 1) };
}

/** Turns fast-check run details into a check outcome. */
function outcomeOf<T>(details: fc.RunDetails<T>, decided: number, lastUndecided: string): CheckOutcome {
  if (details.failed) {
    const error = details.errorInstance;
    if (!(error instanceof Finding)) throw error instanceof Error ? error : new Error(String(error));
    const counterexample = details.counterexample === null ? '' : fc.stringify(details.counterexample);
    const commands = /replayPath="([^"]*)"/.exec(counterexample)?.[1];
    const path = details.counterexamplePath ?? '';
    return {
      kind: 'violated',
      ...error.evidence,
      replay: { seed: details.seed, path: commands === undefined ? path : `${path}#${commands}`, counterexample },
    };
  }
  if (decided === 0) return { kind: 'inconclusive', reason: lastUndecided || 'no run could be judged' };
  return { kind: 'met' };
}
