/**
 * Running a check's fast-check property and turning the result into a check outcome, shared by
 * the check areas. A property body reports a broken clause by throwing a {@link Finding} (see
 * {@link violation}) and a run it cannot judge (the device refused a needed step) by throwing an
 * {@link Undecided}; anything else it throws is a harness or adapter error and propagates, so the
 * runner reports the check as crashed rather than calling a bug a violation.
 *
 * A violated outcome carries what replays it: the seed, the path and the shrunk counterexample.
 * For `fc.commands` properties the path is fast-check's path, `#`, then the commands' own replay
 * path (see {@link splitReplayPath}); fast-check cannot rebuild a shrunk command list without it.
 *
 * @module
 */

import fc from 'fast-check';
import type { CheckOutcome } from '../checks/check.js';
import type { RunConfig } from '../checks/context.js';
import type { Trace } from '../checks/trace.js';
import type { Evidence } from '../checks/verdict.js';

/** A clause violation found inside a property run or a one-shot check. */
export class Finding extends Error {
  constructor(readonly evidence: Evidence) {
    super(`${evidence.clause}: ${evidence.observed} (expected: ${evidence.expected})`);
    this.name = 'Finding';
  }
}

/** A run that could not be judged (e.g. the device refused a set-up step the check needs). */
export class Undecided extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'Undecided';
  }
}

/** Throws a {@link Finding} for a broken `clause`. */
export function violation(clause: string, observed: string, expected: string): never {
  throw new Finding({ clause, observed, expected });
}

/** Throws an {@link Undecided}. */
export function undecided(reason: string): never {
  throw new Undecided(reason);
}

/**
 * Runs for a property whose every run drives a live device: the configured runs divided by
 * `divisor`, rounded up, at least `floor`. Each run costs commands and frames through the register
 * seam, and the whole default suite must stay within seconds.
 */
export function scaledRuns(config: RunConfig, divisor: number, floor = 5): number {
  return Math.max(floor, Math.ceil(config.numRuns / divisor));
}

/** Options of {@link checkProperty}. */
export interface PropertyOptions<T = unknown> {
  /** Exact run count; when set, `scale` and `minRuns` are ignored (see {@link scaledRuns}). */
  readonly numRuns?: number;
  /**
   * Divides the configured run count (rounded down): properties that build a device or a rig per
   * run keep the whole default run within seconds. At least `minRuns` runs happen. @default 1
   */
  readonly scale?: number;
  /** @default 5 */
  readonly minRuns?: number;
  /** Cases run first whatever the seed: the corners a check must always visit. */
  readonly examples?: readonly T[];
  /**
   * What an {@link Undecided} run does. `'skip'`: the run counts neither way and the property goes
   * on; the outcome is inconclusive only when no run at all could be judged. `'stop'`: the run fails
   * the property like a violation (fast-check shrinks it) and the outcome is inconclusive.
   * @default 'skip'
   */
  readonly undecidedRuns?: 'skip' | 'stop';
  /**
   * When given, the shrunk counterexample runs once more after a failure so the trace ends with
   * exactly the failing run; the evidence of that replay is the one reported.
   */
  readonly trace?: Trace;
}

/** The run count {@link checkProperty} uses for `options`. */
export function propertyRuns(config: RunConfig, options: Pick<PropertyOptions<unknown>, 'numRuns' | 'scale' | 'minRuns'> = {}): number {
  return options.numRuns ?? Math.max(options.minRuns ?? 5, Math.floor(config.numRuns / (options.scale ?? 1)));
}

/**
 * Checks `arbitrary` against `body` with the run's seed, path (its `#` commands part stripped, see
 * {@link splitReplayPath}) and run count. When every run was undecided the outcome is
 * inconclusive, never met.
 */
export async function checkProperty<T>(
  config: RunConfig,
  arbitrary: fc.Arbitrary<T>,
  body: (value: T) => Promise<void>,
  options: PropertyOptions<T> = {},
): Promise<CheckOutcome> {
  const skipUndecided = (options.undecidedRuns ?? 'skip') === 'skip';
  let decided = 0;
  let lastUndecided = '';
  const { path } = splitReplayPath(config.path);
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      try {
        await body(value);
        decided++;
      } catch (error) {
        if (skipUndecided && error instanceof Undecided) {
          lastUndecided = error.reason;
          return;
        }
        throw error;
      }
    }),
    {
      seed: config.seed,
      numRuns: propertyRuns(config, options),
      ...(path === undefined ? {} : { path }),
      ...(options.examples === undefined ? {} : { examples: options.examples.map((e): [T] => [e]) }),
    },
  );
  if (details.failed && details.counterexample !== null && options.trace !== undefined) {
    const [value] = details.counterexample;
    let error: unknown = details.errorInstance;
    options.trace.record('--- replay of the shrunk counterexample ---');
    try {
      await body(value);
    } catch (replayed) {
      error = replayed;
    }
    return outcomeOf({ ...details, errorInstance: error }, decided, lastUndecided);
  }
  return outcomeOf(details, decided, lastUndecided);
}

/**
 * Turns fast-check run details into a check outcome: a {@link Finding} becomes `violated` with its
 * replay, an {@link Undecided} (or a run fast-check gave up on) `inconclusive`, no judged run at all
 * `inconclusive`; any other failure propagates.
 */
export function outcomeOf<T>(details: fc.RunDetails<T>, decided: number, lastUndecided: string): CheckOutcome {
  if (details.failed) {
    if (details.counterexample === null) {
      return { kind: 'inconclusive', reason: details.interrupted ? 'the property run was interrupted' : 'fast-check gave up generating values' };
    }
    const error: unknown = details.errorInstance;
    if (error instanceof Undecided) return { kind: 'inconclusive', reason: error.reason };
    if (!(error instanceof Finding)) throw error instanceof Error ? error : new Error(String(error));
    const counterexample = fc.stringify(details.counterexample);
    const commands = /replayPath="([^"]*)"/.exec(counterexample)?.[1];
    return {
      kind: 'violated',
      ...error.evidence,
      replay: { seed: details.seed, path: joinReplayPath(details.counterexamplePath ?? '', commands), counterexample },
    };
  }
  if (decided === 0) return { kind: 'inconclusive', reason: lastUndecided || 'no run could be judged' };
  return { kind: 'met' };
}

/**
 * A replay path as {@link checkProperty} reports it: fast-check's path, then, for `fc.commands`
 * properties, `#` and the commands' own replay path (to pass to `fc.commands({ replayPath })`).
 */
export function splitReplayPath(path: string | undefined): { readonly path: string | undefined; readonly commands: string | undefined } {
  if (path === undefined) return { path: undefined, commands: undefined };
  const at = path.indexOf('#');
  return at < 0 ? { path, commands: undefined } : { path: path.slice(0, at), commands: path.slice(at + 1) };
}

/** The inverse of {@link splitReplayPath}. */
export function joinReplayPath(path: string, commands: string | undefined): string {
  return commands === undefined ? path : `${path}#${commands}`;
}

/** Runs a one-shot body the same way: a {@link Finding} becomes `violated`, an {@link Undecided} `inconclusive`. */
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
