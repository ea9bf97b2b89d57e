/**
 * Declares the conformance result on vitest's test meta, so the suites (in the workers) and the
 * collector (in the CLI's process) agree on its type. Types only.
 *
 * @module
 */

import type { CheckResult } from '../checks/runner.js';

declare module 'vitest' {
  interface TaskMeta {
    /** The conformance result of this test (check × configuration). */
    conformance?: CheckResult;
  }
}

export {};
