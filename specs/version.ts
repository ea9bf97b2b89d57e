/**
 * Spec revisions this project distinguishes.
 *
 * `SpecVersion` and `SPEC_VERSIONS` are defined once, by the clause catalog
 * schema, and re-exported here so constants and clauses share one type.
 * `since` values use them: anything already in virtio 1.2 (including 1.0 and
 * 1.1 material) says `'1.2'`.
 *
 * @module
 */

import { SPEC_VERSIONS, type SpecVersion } from './catalog/schema.js';

export { SPEC_VERSIONS, type SpecVersion };

/** The newest revision the constants describe (virtio 1.4 cs01). */
export const LATEST_SPEC_VERSION: SpecVersion = '1.4';

/**
 * True when something introduced in `since` exists in revision `version`
 * (e.g. a 1.3 feature exists in 1.3 and 1.4, not in 1.2).
 */
export function existsIn(since: SpecVersion, version: SpecVersion): boolean {
  return SPEC_VERSIONS.indexOf(since) <= SPEC_VERSIONS.indexOf(version);
}
