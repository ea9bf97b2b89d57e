/**
 * Running one fast-check property as a check body: the run's seed, run count and replay path,
 * the evidence of the shrunk counterexample, and the bookkeeping for runs the subject could not
 * take (a feature set refused at FEATURES_OK, which `features.device.*` allows).
 *
 * @module
 */

import fc from 'fast-check';
import type { CheckOutcome } from '../../checks/check.js';
import type { RunConfig } from '../../checks/context.js';
import type { Evidence } from '../../checks/verdict.js';

/** What one property run found. */
export type RunFinding = { readonly kind: 'ok' } | { readonly kind: 'skip'; readonly reason: string } | ({ readonly kind: 'violation' } & Evidence);

/** A run that found nothing. */
export const OK: RunFinding = Object.freeze({ kind: 'ok' });

/** A violation found in a run. */
export function violation(clause: string, observed: string, expected: string): RunFinding {
  return { kind: 'violation', clause, observed, expected };
}

/**
 * Runs scaled to a property whose every run drives a device or driver through a full set-up:
 * a tenth of the configured runs, at least `min`.
 */
export function scaledRuns(config: RunConfig, divisor = 10, min = 5): number {
  return Math.max(min, Math.ceil(config.numRuns / divisor));
}

/**
 * Checks `body` over `arb` with the run's seed and path. The shrunk counterexample's evidence
 * becomes the violation, with what is needed to replay it. A throw (`NotApplicable` included)
 * propagates to the runner once fast-check is done. When every run was skipped the outcome is
 * inconclusive: a skip is never a pass.
 */
export async function checkProperty<T>(
  config: RunConfig,
  numRuns: number,
  arb: fc.Arbitrary<T>,
  body: (value: T) => Promise<RunFinding>,
): Promise<CheckOutcome> {
  let last: (Evidence & { kind: 'violation' }) | null = null;
  let thrown: unknown = null;
  let ran = 0;
  let skipped = 0;
  let skipReason = '';
  const property = fc.asyncProperty(arb, async (value) => {
    if (thrown !== null) return true;
    let finding: RunFinding;
    try {
      finding = await body(value);
    } catch (error) {
      thrown = error;
      return true;
    }
    ran++;
    if (finding.kind === 'skip') {
      skipped++;
      skipReason = finding.reason;
      return true;
    }
    if (finding.kind === 'violation') {
      last = finding;
      return false;
    }
    return true;
  });
  const details = await fc.check(property, { seed: config.seed, numRuns, ...(config.path === undefined ? {} : { path: config.path }) });
  if (thrown !== null) throw thrown;
  if (details.failed && last !== null) {
    const found: Evidence = last;
    return {
      kind: 'violated',
      clause: found.clause,
      observed: found.observed,
      expected: found.expected,
      replay: {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        counterexample: details.counterexample === null ? '' : fc.stringify(details.counterexample),
      },
    };
  }
  if (details.failed) return { kind: 'inconclusive', reason: `the property failed without a finding: ${String(details.errorInstance)}` };
  if (ran > 0 && skipped === ran) return { kind: 'inconclusive', reason: `every run was skipped: ${skipReason}` };
  return { kind: 'met' };
}
