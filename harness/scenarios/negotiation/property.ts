/**
 * The negotiation area's view of the shared property runner (`../property.ts`): undecided runs
 * are skipped, the configured run count is used unscaled unless a check asks otherwise.
 *
 * @module
 */

export {
  checkProperty,
  Finding,
  type PropertyOptions as PropertyRunOptions,
  splitReplayPath,
  Undecided,
  violation,
} from '../property.js';
