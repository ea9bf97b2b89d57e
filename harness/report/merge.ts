/**
 * Merges the reports of shards (`run --shard i/n --report DIR`) into the report one unsharded run
 * would have written: the same results in the same order, the same summary and exit code.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportSchema, type Report, type ReportResult } from './report-schema.js';

/** The outcome of reading shard reports. */
export type ShardLoad = { readonly kind: 'ok'; readonly reports: readonly Report[] } | { readonly kind: 'error'; readonly message: string };

/** Reads `report.json` from each shard directory, validating each. */
export function loadShardReports(dirs: readonly string[]): ShardLoad {
  const reports: Report[] = [];
  for (const dir of dirs) {
    const path = join(dir, 'report.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      return { kind: 'error', message: `merge: cannot read ${path}: ${(error as Error).message}` };
    }
    const parsed = reportSchema.safeParse(raw);
    if (!parsed.success) return { kind: 'error', message: `merge: ${path} is not a report: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}` };
    reports.push(parsed.data);
  }
  if (reports.length === 0) return { kind: 'error', message: 'merge: give at least one report directory' };
  const [first] = reports;
  for (const r of reports) {
    if (r.run.seed !== first!.run.seed || r.run.numRuns !== first!.run.numRuns || r.run.target !== first!.run.target || r.run.strict !== first!.run.strict) {
      return { kind: 'error', message: 'merge: the reports come from different runs (seed, runs, target or strictness differ)' };
    }
  }
  return { kind: 'ok', reports };
}

const ORDER = ['pci', 'mmio', 'split', 'packed'];

/** The stable order every report uses: check, then transport, then ring. */
export function compareResults(a: ReportResult, b: ReportResult): number {
  return a.check.localeCompare(b.check) || ORDER.indexOf(a.transport) - ORDER.indexOf(b.transport) || ORDER.indexOf(a.ring) - ORDER.indexOf(b.ring);
}

/** The exit code a set of report rows calls for (the rows carry verdicts and known failures). */
export function exitCodeOfRows(rows: readonly ReportResult[], strict: boolean): number {
  const fails = (r: ReportResult) => r.verdict.kind === 'fail' || (strict && r.verdict.kind === 'non-strict');
  const gate = (r: ReportResult) => (r.expected === undefined ? fails(r) : !r.expected.held && r.verdict.kind !== 'not-applicable');
  if (rows.some(gate)) return 1;
  const inconclusive = rows.some((r) => r.verdict.kind === 'crashed' || r.verdict.kind === 'timed-out' || r.verdict.kind === 'inconclusive');
  return inconclusive || rows.every((r) => r.verdict.kind === 'not-applicable') ? 2 : 0;
}

/** Merges shard reports into the report of one unsharded run. */
export function mergeReports(reports: readonly Report[]): Report {
  const first = reports[0]!;
  const results = reports.flatMap((r) => r.results).sort(compareResults);
  const byVerdict: Record<string, number> = {};
  for (const row of results) byVerdict[row.verdict.kind] = (byVerdict[row.verdict.kind] ?? 0) + 1;
  const exitCode = reports.some((r) => r.summary.exitCode === 3) ? 3 : exitCodeOfRows(results, first.run.strict);
  const { shard: _shard, ...run } = first.run;
  return reportSchema.parse({
    ...first,
    run: { ...run, startedAt: reports.map((r) => r.run.startedAt).sort()[0]!, durationMs: Math.max(...reports.map((r) => r.run.durationMs)) },
    summary: { total: results.length, byVerdict, exitCode },
    results,
  });
}
