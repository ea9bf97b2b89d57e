/**
 * `run`: selects checks, resolves the implementations under test, runs the checks through vitest's
 * Node API (its runner, JUnit reporter and sharding), then writes the report and maps the verdicts
 * to the exit code. Every usage problem is found before anything runs or is written.
 *
 * @module
 */

import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startVitest } from 'vitest/node';
import { ALL_CHECKS } from '../checks/registry.js';
import { packageRoot } from '../../specs/catalog/package-root.js';
import { ConformanceCollector } from '../report/collector.js';
import { buildReport } from '../report/build-report.js';
import { reportJsonSchema, type Report } from '../report/report-schema.js';
import { PLAN_ENV, writePlan, type RunPlan } from '../run/plan.js';
import { resolveSubjects } from '../run/subject.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { parseRunOptions, RUN_HELP, type RunOptions } from './run-options.js';

function selectChecks(options: RunOptions, sides: { device: boolean; driver: boolean }): string[] {
  const matches = (id: string, pattern: string) => (pattern.endsWith('*') ? id.startsWith(pattern.slice(0, -1)) : id === pattern);
  return ALL_CHECKS.filter(
    (check) =>
      (check.role === 'device' ? sides.device : sides.driver) &&
      options.areas.includes(check.area) &&
      (options.levels === undefined || options.levels.includes(check.level)) &&
      (options.clauses === undefined || check.clauses.some((id) => options.clauses!.some((p) => matches(id, p)))),
  ).map((check) => check.id);
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function summaryLines(report: Report): string[] {
  const lines: string[] = [];
  for (const row of report.results) {
    if (['fail', 'non-strict', 'crashed', 'timed-out', 'inconclusive'].includes(row.verdict.kind)) {
      lines.push(`${row.verdict.kind.toUpperCase()} ${row.check} [${row.clauses.join(' ')}] ${row.transport}/${row.ring}: ${row.message}`);
      if (row.replay) lines.push(`  replay: ${row.replay.command}`);
    }
  }
  const v = report.summary.byVerdict;
  const passed = (v['pass'] ?? 0) + (v['info'] ?? 0) + (report.run.strict ? 0 : (v['non-strict'] ?? 0));
  const failed = (v['fail'] ?? 0) + (v['crashed'] ?? 0) + (v['timed-out'] ?? 0) + (v['inconclusive'] ?? 0) + (report.run.strict ? (v['non-strict'] ?? 0) : 0);
  lines.push(`${report.summary.total} results: ${Object.entries(v).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`);
  lines.push(`${passed} passed, ${failed} failed, ${v['not-applicable'] ?? 0} skipped`);
  return lines;
}

/** Runs `run`; returns the exit code. */
export async function runRun(args: readonly string[], out: (text: string) => void, err: (text: string) => void = out): Promise<number> {
  const options = parseRunOptions(args);
  if (options.help) {
    out(RUN_HELP);
    return ExitCode.Conformant;
  }
  const subject: RunPlan['subject'] = {
    target: options.target,
    ...(options.device === undefined ? {} : { device: resolve(options.device) }),
    ...(options.driver === undefined ? {} : { driver: resolve(options.driver) }),
  };
  const resolved = await resolveSubjects(subject);
  if (resolved.kind === 'error') throw new UsageError(resolved.message);
  const checks = selectChecks(options, { device: resolved.subjects.device !== undefined, driver: resolved.subjects.driver !== undefined });
  const plan: RunPlan = {
    subject,
    checks,
    areas: [...options.areas],
    transports: [...options.transports],
    rings: [...options.rings],
    features: [...options.features],
    seed: options.seed,
    numRuns: options.numRuns,
    ...(options.path === undefined ? {} : { path: options.path }),
    timeoutMs: options.timeoutMs,
    strict: options.strict,
  };
  const reportDir = options.report === undefined ? undefined : resolve(options.report);
  const work = mkdtempSync(join(tmpdir(), 'virtio-net-conformance-'));
  const planPath = join(work, 'plan.json');
  writePlan(planPath, plan);
  process.env[PLAN_ENV] = planPath;

  const root = packageRoot();
  const collector = new ConformanceCollector();
  const startedAt = new Date();
  const started = performance.now();
  try {
    const vitest = await startVitest(
      'test',
      [],
      {
        config: false,
        root,
        dir: join(root, 'dist', 'harness', 'run', 'suites'),
        include: ['**/*.suite.js'],
        watch: false,
        passWithNoTests: true,
        reporters: [collector, ...(reportDir === undefined ? [] : [['junit', { suiteName: 'virtio-net-conformance' }] as ['junit', object]])],
        ...(reportDir === undefined ? {} : { outputFile: { junit: join(work, 'junit.xml') } }),
        ...(options.shard === undefined ? {} : { shard: options.shard }),
        pool: 'threads',
        isolate: false,
        testTimeout: options.timeoutMs * 2 + 5_000,
      },
      { server: { watch: null } },
    );
    await vitest.close();
  } finally {
    delete process.env[PLAN_ENV];
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const report = buildReport(collector.results, {
    version,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    command: ['virtio-net-conformance', 'run', ...args].join(' '),
    target: options.target,
    module: options.device !== undefined || options.driver !== undefined,
    seed: options.seed,
    numRuns: options.numRuns,
    strict: options.strict,
    ...(options.shard === undefined ? {} : { shard: options.shard }),
    loadErrors: collector.loadErrors,
  });
  for (const error of collector.loadErrors) err(`virtio-net-conformance: a suite failed to load: ${error}`);
  if (reportDir !== undefined) {
    mkdirSync(reportDir, { recursive: true });
    writeAtomically(join(reportDir, 'report.schema.json'), `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
    writeAtomically(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    try {
      writeAtomically(join(reportDir, 'junit.xml'), readFileSync(join(work, 'junit.xml'), 'utf8'));
    } catch {
      /* no test ran: vitest wrote no JUnit file */
    }
  }
  rmSync(work, { recursive: true, force: true });
  if (options.json) out(JSON.stringify(report, null, 2));
  else for (const line of summaryLines(report)) out(line);
  return report.summary.exitCode;
}
