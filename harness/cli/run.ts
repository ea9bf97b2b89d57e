/**
 * `run`: selects checks, resolves the implementations under test, runs the checks through vitest's
 * Node API (its runner, JUnit reporter and sharding), then writes the report and maps the verdicts
 * to the exit code. Every usage problem is found before anything runs or is written.
 *
 * @module
 */

import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startVitest, type CliOptions } from 'vitest/node';
import { ALL_CHECKS } from '../checks/registry.js';
import { packageRoot } from '../../specs/catalog/package-root.js';
import { ConformanceCollector } from '../report/collector.js';
import { buildReport } from '../report/build-report.js';
import { loadExpectations, type ExpectationsFile } from '../report/expectations.js';
import { reportJsonSchema, type Report } from '../report/report-schema.js';
import { renderGithubSummary } from '../report/github-summary.js';
import { renderHtml, type CoverageView } from '../report/html.js';
import { specCoverage } from '../coverage/spec-coverage.js';
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ProgressReporter, progressWanted } from '../report/progress.js';
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

/**
 * Code coverage of the implementation under test during the run (v8): the reference's compiled
 * modules (mapped back to their TypeScript sources), or the folder of a --device/--driver module.
 */
function codeCoverage(root: string, reportDir: string, subject: RunPlan['subject']): NonNullable<CliOptions['coverage']> {
  const modules = [subject.device, subject.driver].filter((m): m is string => m !== undefined);
  const include = modules.length > 0 ? modules.map((m) => `${dirname(m)}/**`) : [join(root, 'dist', 'reference-impl', '**')];
  return {
    enabled: true,
    provider: 'v8' as const,
    include,
    exclude: ['**/*.test.*', '**/test-*.js', '**/fixtures/**', '**/*.d.ts', '**/*.map'],
    allowExternal: true,
    reportsDirectory: join(reportDir, 'coverage'),
    reporter: [['html', { subdir: '.' }], ['json-summary', {}]],
    clean: true,
  };
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
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

/** In-scope clause coverage of the shipped checks, as the HTML page shows it. */
function coverageView(): CoverageView {
  const coverage = specCoverage();
  return {
    scope: `virtio ${coverage.scope.version}, areas ${coverage.scope.areas.join('')}${coverage.scope.includeLegacy ? ', legacy' : ''}`,
    mandatory: coverage.mandatory.total,
    checked: coverage.mandatory.checked,
    unobservable: coverage.mandatory.unobservable,
    unchecked: coverage.mandatory.unchecked,
    byArea: coverage.byArea.map((a) => ({ area: `${a.area} ${a.title}`, checked: a.mandatory.checked, unobservable: a.mandatory.unobservable, unchecked: a.mandatory.unchecked })),
  };
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
  let expectations: ExpectationsFile | undefined;
  if (options.expectations !== undefined) {
    const loaded = loadExpectations(resolve(options.expectations), new Set(ALL_CHECKS.map((c) => c.id)));
    if (loaded.kind === 'error') throw new UsageError(loaded.message);
    expectations = loaded.file;
  }
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
    ...(options.expectations === undefined ? {} : { expectations: resolve(options.expectations) }),
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
        reporters: [collector, ...(progressWanted() ? [new ProgressReporter((line) => process.stderr.write(`${line}\n`))] : []), ...(reportDir === undefined ? [] : [['junit', { suiteName: 'virtio-net-conformance' }] as ['junit', object]])],
        ...(reportDir === undefined ? {} : { outputFile: { junit: join(work, 'junit.xml') } }),
        ...(options.shard === undefined ? {} : { shard: options.shard }),
        ...(reportDir === undefined ? {} : { coverage: codeCoverage(root, reportDir, subject) }),
        pool: 'threads',
        isolate: false,
        testTimeout: options.timeoutMs * 2 + 5_000,
      },
      { server: { watch: null } },
      // vitest's own console output (its JUnit notice, its summary) would mix with ours and with --json.
      { stdout: discard(), stderr: discard() },
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
    ...(expectations === undefined ? {} : { expectations }),
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
    writeAtomically(join(reportDir, 'index.html'), renderHtml(report, coverageView(), 'coverage/index.html'));
  }
  const summaryFile = process.env['GITHUB_STEP_SUMMARY'];
  if (summaryFile !== undefined && summaryFile !== '') appendFileSync(summaryFile, renderGithubSummary(report));
  rmSync(work, { recursive: true, force: true });
  if (options.json) out(JSON.stringify(report, null, 2));
  else for (const line of summaryLines(report)) out(line);
  return report.summary.exitCode;
}
