/**
 * Progress while a long run works: one line per area as it finishes, on a terminal only. Quiet in
 * CI (the `CI` environment variable) and when stderr is not a terminal, so logs stay clean.
 *
 * @module
 */

import type { Reporter, TestCase, TestModule } from 'vitest/node';
import '../run/task-meta.js';

/** Whether progress should be shown in this environment. */
export function progressWanted(env: NodeJS.ProcessEnv = process.env, stream: { isTTY?: boolean } = process.stderr): boolean {
  return stream.isTTY === true && (env['CI'] === undefined || env['CI'] === '' || env['CI'] === 'false');
}

/** Prints per-area progress lines to `write`. */
export class ProgressReporter implements Reporter {
  #done = 0;
  #bad = 0;

  constructor(private readonly write: (line: string) => void) {}

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.meta().conformance;
    if (result === undefined) return;
    this.#done++;
    if (['fail', 'crashed', 'timed-out', 'inconclusive'].includes(result.verdict.kind)) this.#bad++;
  }

  onTestModuleEnd(module: TestModule): void {
    const area = module.moduleId.replace(/^.*\/([a-z]+)\.suite\.js$/, '$1');
    const cases = [...module.children.allTests()];
    const failed = cases.filter((t) => t.result().state === 'failed').length;
    this.write(`  ${area.padEnd(12)} ${String(cases.length).padStart(4)} results, ${failed} failing   (${this.#done} done, ${this.#bad} failing so far)`);
  }
}
