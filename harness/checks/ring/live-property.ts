/**
 * Running a fast-check property over live devices or drivers and turning
 * its result into a {@link CheckOutcome}: the ring observers' first finding
 * of the checked rules becomes the violation, with the seed, the path and the
 * shrunk command list to replay it, and the trace of the failing run (the
 * shrunk counterexample is run once more so that the trace ends with it).
 *
 * A property runs once per scenario configuration (e.g. with and without
 * VIRTIO_F_EVENT_IDX) so that every configuration a rule needs is reached
 * whatever the seed. The replay path is `<configuration index>:<fast-check
 * path>`, followed by `/<replayPath>` for command lists (`fc.commands`
 * keeps its shrinking state there).
 *
 * @module
 */

import fc from 'fast-check';
import type { RingViolation } from '../../observers/index.js';
import type { CheckOutcome } from '../check.js';
import type { RunConfig } from '../context.js';
import type { Trace } from '../trace.js';

/** Thrown inside a property when the observers report a violation of a checked rule. */
export class RingFindingError extends Error {
  constructor(readonly finding: RingViolation) {
    super(`${finding.rule} (${finding.clause}) on queue ${finding.queue}: ${finding.observed}`);
    this.name = 'RingFindingError';
  }
}

/** Thrown inside a property when the check's own judgement (not an observer) saw a violation. */
export class ClauseViolationError extends Error {
  constructor(
    readonly clause: string,
    readonly observed: string,
    readonly expected: string,
  ) {
    super(`${clause}: ${observed}`);
    this.name = 'ClauseViolationError';
  }
}

/** What a property records about the runs that could not start (the subject cannot be set up so). */
export interface LiveRunState {
  /** Runs that reached the subject. */
  started: number;
  /** Why the last run that could not start did not. */
  refusal: { readonly kind: 'not-applicable' | 'failed'; readonly reason: string } | null;
}

/** One scenario configuration of a live property. */
export interface LiveConfiguration<K> {
  readonly knobs: K;
  /** One line naming the configuration (in the replay and the trace). */
  readonly label: string;
}

/**
 * Runs in a live property per configuration: every run brings up a whole
 * device or driver (a few milliseconds), so a property runs `numRuns / 100`
 * times per configuration (at least once), each run a long command list.
 * `--num-runs 1000` gives ten runs per configuration.
 */
export function liveRuns(config: RunConfig): number {
  return Math.max(1, Math.round(config.numRuns / 100));
}

/**
 * Checks `property` in every configuration (or, when `config.path` is set,
 * only the configuration it names) and reports the first failure.
 * `examples` are run before the random runs (fast-check `examples`), for
 * cases every run must cover whatever the seed.
 * An error other than a finding or a clause violation is rethrown, so the
 * runner reports the subject as crashed.
 */
export async function checkLive<K, Ts extends [unknown, ...unknown[]]>(
  context: { readonly config: RunConfig; readonly trace: Trace },
  configurations: readonly LiveConfiguration<K>[],
  property: (knobs: K, state: LiveRunState, replayPath?: string) => fc.IAsyncPropertyWithHooks<Ts>,
  examples?: (knobs: K) => Ts[],
): Promise<CheckOutcome> {
  const { config, trace } = context;
  const [pathConfig, fcPath, replayPath] = splitPath(config.path);
  const runs = liveRuns(config);
  const refusals: NonNullable<LiveRunState['refusal']>[] = [];
  let started = 0;
  for (const [index, c] of configurations.entries()) {
    if (pathConfig !== undefined && pathConfig !== index) continue;
    const state: LiveRunState = { started: 0, refusal: null };
    trace.record(`--- scenario configuration ${index}: ${c.label}`);
    // fast-check counts examples among numRuns and numbers them first in a path: the replay passes them too.
    const fixed = examples?.(c.knobs) ?? [];
    const parameters = { seed: config.seed, numRuns: runs + fixed.length, examples: fixed };
    const details = await fc.check(property(c.knobs, state, replayPath), fcPath === undefined ? parameters : { ...parameters, path: fcPath });
    started += state.started;
    if (state.started === 0 && state.refusal !== null) refusals.push({ kind: state.refusal.kind, reason: `${c.label}: ${state.refusal.reason}` });
    if (!details.failed) continue;
    const error = details.errorInstance;
    if (!(error instanceof RingFindingError) && !(error instanceof ClauseViolationError)) throw error;
    const path = details.counterexamplePath ?? '';
    const counterexample = fc.stringify(details.counterexample);
    // fc.commands keeps its shrinking state in a replayPath printed in the counterexample; a replay needs it too.
    const shrunkCommands = /replayPath="([^"]*)"/.exec(counterexample)?.[1];
    trace.record(`--- replay of the shrunk counterexample (configuration ${index}: ${c.label}): ${counterexample}`);
    // endOnFailure: a replay from a path would otherwise go on shrinking and leave the trace at a passing attempt.
    await fc.check(property(c.knobs, { started: 0, refusal: null }, shrunkCommands), { ...parameters, path, endOnFailure: true });
    const evidence =
      error instanceof RingFindingError
        ? { clause: error.finding.clause, observed: `queue ${error.finding.queue}: ${error.finding.observed}`, expected: error.finding.expected }
        : { clause: error.clause, observed: error.observed, expected: error.expected };
    return {
      kind: 'violated',
      ...evidence,
      replay: { seed: config.seed, path: `${index}:${path}${shrunkCommands === undefined ? '' : `/${shrunkCommands}`}`, counterexample: `${c.label}; ${counterexample}` },
    };
  }
  if (started > 0) return { kind: 'met' };
  const reason = refusals.length > 0 ? refusals.map((r) => r.reason).join('; ') : 'no scenario configuration ran';
  // A subject that cannot be set up the way every configuration needs is not applicable; one that failed set-up says nothing.
  return refusals.length > 0 && refusals.every((r) => r.kind === 'not-applicable') ? { kind: 'not-applicable', reason } : { kind: 'inconclusive', reason };
}

/** `<configuration>:<fast-check path>[/<fc.commands replayPath>]` into its parts. */
function splitPath(path: string | undefined): [number | undefined, string | undefined, string | undefined] {
  if (path === undefined) return [undefined, undefined, undefined];
  const slash = path.indexOf('/');
  const [head, commands] = slash < 0 ? [path, undefined] : [path.slice(0, slash), path.slice(slash + 1)];
  const colon = head.indexOf(':');
  if (colon < 0) return [undefined, head, commands];
  const index = Number(head.slice(0, colon));
  return [Number.isInteger(index) ? index : undefined, head.slice(colon + 1), commands];
}
