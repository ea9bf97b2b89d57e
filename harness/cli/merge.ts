/**
 * `merge <dir>... --report DIR`: merges shard reports into the report one unsharded run writes
 * (report.json, report.schema.json, index.html), like `vitest --merge-reports`.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadShardReports, mergeReports } from '../report/merge.js';
import { renderHtml } from '../report/html.js';
import { reportJsonSchema } from '../report/report-schema.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { parseOptions } from './options.js';

/** `merge --help` text. */
export const MERGE_HELP = `Usage: virtio-net-conformance merge <shard-report-dir>... --report <dir> [--json]

Merges the reports of 'run --shard i/n --report DIR' runs into one report, the same as an unsharded
run would write, and exits with that report's exit code.`;

/** Runs `merge`; returns the merged report's exit code. */
export function runMerge(args: readonly string[], out: (text: string) => void): number {
  const { values, positionals } = parseOptions('merge', args, { report: { type: 'string' } }, true);
  if (values.help) {
    out(MERGE_HELP);
    return ExitCode.Conformant;
  }
  if (values.report === undefined) throw new UsageError('merge: --report <dir> is required');
  const loaded = loadShardReports(positionals.map((p) => resolve(p)));
  if (loaded.kind === 'error') throw new UsageError(loaded.message);
  const report = mergeReports(loaded.reports);
  const dir = resolve(values.report);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.schema.json'), `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'index.html'), renderHtml(report));
  if (values.json) out(JSON.stringify(report, null, 2));
  else out(`merged ${loaded.reports.length} shard reports: ${report.summary.total} results, exit ${report.summary.exitCode}`);
  return report.summary.exitCode;
}
