/**
 * The transport area's view of the shared property runner (`../property.ts`): undecided runs are
 * skipped, and the configured run count is divided by 10 by default, since each run drives a
 * device through a whole set-up.
 *
 * @module
 */

import type fc from 'fast-check';
import type { CheckOutcome } from '../../checks/check.js';
import type { RunConfig } from '../../checks/context.js';
import { checkProperty as check, type PropertyOptions } from '../property.js';

export { Finding, judgeOnce, outcomeOf, type PropertyOptions, undecided, Undecided, violation } from '../property.js';

/**
 * Runs `body` for values of `arbitrary` with the run's seed and path, `examples` first; the run
 * count is the configured one divided by `scale` (default 10, at least `minRuns`).
 */
export function checkProperty<T>(
  config: RunConfig,
  arbitrary: fc.Arbitrary<T>,
  body: (value: T) => Promise<void>,
  options: PropertyOptions<T> = {},
): Promise<CheckOutcome> {
  return check(config, arbitrary, body, { ...options, scale: options.scale ?? 10 });
}
