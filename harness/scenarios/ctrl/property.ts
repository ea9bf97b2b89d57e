/**
 * The ctrl area's view of the shared property runner (`../property.ts`): an undecided run stops
 * the property (inconclusive), and the shrunk counterexample is run once more so the trace ends
 * with exactly the failing run.
 *
 * @module
 */

import type fc from 'fast-check';
import type { CheckOutcome } from '../../checks/check.js';
import type { RunConfig } from '../../checks/context.js';
import type { Trace } from '../../checks/trace.js';
import { checkProperty as check } from '../property.js';

export { Finding as ClauseViolation, scaledRuns, Undecided, violation } from '../property.js';

/**
 * Checks `predicate` over `arbitrary` with the run's seed and path and `numRuns` runs (see
 * `scaledRuns`). A predicate signals a broken clause by throwing `ClauseViolation`, an
 * undecidable run by `Undecided`; any other throw is a crash of the check and is rethrown.
 */
export function checkProperty<T>(
  config: RunConfig,
  trace: Trace,
  numRuns: number,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
): Promise<CheckOutcome> {
  return check(config, arbitrary, predicate, { numRuns, trace, undecidedRuns: 'stop' });
}
