/**
 * Builds the canonical report from the collected check results: a stable order (check, transport,
 * ring), the replay command for every failure, the summary and the exit code.
 *
 * @module
 */

import type { CheckResult } from '../checks/runner.js';
import { failsGate, isInconclusive } from '../checks/verdict.js';
import { catalog } from '../../specs/catalog/index.js';
import { ExitCode } from '../cli/exit-codes.js';
import { compareResults } from './merge.js';
import { expectationFor, type ExpectationsFile } from './expectations.js';
import { reportSchema, type Report, type ReportResult } from './report-schema.js';

/** What the report needs to know about the run besides the results. */
export interface RunFacts {
  readonly version: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly command: string;
  readonly target: 'reference' | 'qemu';
  readonly module: boolean;
  readonly seed: number;
  readonly numRuns: number;
  readonly strict: boolean;
  readonly shard?: string;
  /** Problems that kept checks from running (a suite that failed to load). */
  readonly loadErrors: readonly string[];
  /** Known failures (`--expectations`). */
  readonly expectations?: ExpectationsFile;
}

/** Whether a result is a gate failure once known failures are taken into account. */
function gateFailure(result: CheckResult, strict: boolean, expectations: ExpectationsFile | undefined): boolean {
  const known = expectations === undefined ? undefined : expectationFor(expectations, result);
  if (known !== undefined) return !failsGate(result.verdict, strict) && result.verdict.kind !== 'not-applicable';
  return failsGate(result.verdict, strict);
}

function message(result: CheckResult): string {
  const v = result.verdict;
  switch (v.kind) {
    case 'pass':
      return 'conforms';
    case 'fail':
    case 'non-strict':
      return `${v.clause}: observed ${v.observed}; expected ${v.expected}`;
    case 'info':
      return `${v.clause}: ${v.observed}`;
    case 'not-applicable':
    case 'inconclusive':
      return v.reason;
    case 'crashed':
      return `crashed: ${v.error}`;
    case 'timed-out':
      return `timed out after ${v.afterMs} ms during ${v.during}`;
  }
}

/** The exit code the results call for. */
export function exitCodeOf(results: readonly CheckResult[], strict: boolean, loadErrors: readonly string[], expectations?: ExpectationsFile): number {
  // A known failure that fails does not fail the gate; a known failure that passes does.
  if (results.some((r) => gateFailure(r, strict, expectations))) return ExitCode.Failures;
  const ran = results.filter((r) => r.verdict.kind !== 'not-applicable');
  if (loadErrors.length > 0 || ran.length === 0 || results.some((r) => isInconclusive(r.verdict))) return ExitCode.Inconclusive;
  return ExitCode.Conformant;
}

/** Builds and validates the report. @throws when the result set does not fit the schema (a harness bug). */
export function buildReport(results: readonly CheckResult[], facts: RunFacts): Report {
  const rows: ReportResult[] = results.map((r) => {
    const known = facts.expectations === undefined ? undefined : expectationFor(facts.expectations, r);
    return {
    check: r.check,
    title: r.title,
    clauses: [...r.clauses],
    role: r.role,
    level: r.level,
    area: r.area,
    subject: r.subject,
    target: facts.module ? 'module' : facts.target,
    transport: r.config.transport,
    ring: r.config.ring,
    seed: r.config.seed,
    numRuns: r.config.numRuns,
    ...(r.config.path === undefined ? {} : { path: r.config.path }),
    verdict: r.verdict,
    ...(known === undefined ? {} : { expected: { reason: known.reason, link: known.link, held: failsGate(r.verdict, facts.strict) } }),
    ...(r.replay === undefined
      ? {}
      : {
          replay: {
            ...r.replay,
            command: `npx virtio-net-conformance run --target ${facts.target} --transport ${r.config.transport} --ring ${r.config.ring} --clause ${r.clauses[0]} --seed ${r.replay.seed} --path ${r.replay.path}`,
          },
        }),
    message: known !== undefined && !failsGate(r.verdict, facts.strict) ? `expected to fail (${known.reason}) but did not: ${message(r)}` : message(r),
    trace: [...r.trace],
    durationMs: r.durationMs,
  };
  });
  rows.sort(compareResults);
  const byVerdict: Record<string, number> = {};
  for (const row of rows) byVerdict[row.verdict.kind] = (byVerdict[row.verdict.kind] ?? 0) + 1;
  const { spec } = catalog();
  return reportSchema.parse({
    tool: { name: 'virtio-net-conformance', version: facts.version },
    spec,
    run: {
      startedAt: facts.startedAt,
      durationMs: facts.durationMs,
      command: facts.command,
      target: facts.target,
      seed: facts.seed,
      numRuns: facts.numRuns,
      strict: facts.strict,
      ...(facts.shard === undefined ? {} : { shard: facts.shard }),
    },
    summary: { total: rows.length, byVerdict, exitCode: exitCodeOf(results, facts.strict, facts.loadErrors, facts.expectations) },
    results: rows,
  });
}
