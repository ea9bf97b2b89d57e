/**
 * A vitest reporter that collects the conformance results the suites attach to each test's meta,
 * in the order vitest reports them. The CLI sorts them into a stable order before writing.
 *
 * @module
 */

import type { Reporter, TestCase } from 'vitest/node';
import type { CheckResult } from '../checks/runner.js';
import '../run/task-meta.js';

/** Collects results and load errors from a vitest run. */
export class ConformanceCollector implements Reporter {
  readonly results: CheckResult[] = [];
  readonly loadErrors: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.meta().conformance;
    if (result !== undefined) this.results.push(result);
  }

  onTestRunEnd(testModules: ReadonlyArray<{ errors(): ReadonlyArray<{ message?: string }>; moduleId: string }>, unhandledErrors: ReadonlyArray<unknown>): void {
    for (const module of testModules) for (const error of module.errors()) this.loadErrors.push(`${module.moduleId}: ${error.message ?? String(error)}`);
    for (const error of unhandledErrors) this.loadErrors.push((error as Error)?.message ?? String(error));
  }
}
