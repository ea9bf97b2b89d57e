/**
 * The whole-run rows of `npm run bench`: wall time of the product's
 * default conformance run (`virtio-net-conformance run`: every check,
 * 100 runs per property, the reference device and front end, no report
 * files) and of a deep run (`run --runs 1000`), each rep a fresh process,
 * timed from spawn to exit, the median of the reps.
 *
 * A run that does not exit 0 is reported with its exit code and result
 * counts and is not timed as a success; one that outlives its bound is
 * killed. For each run that missed its goal, one more (untimed) run with
 * `--json` gives the per-check times: the profile of what bounds it.
 *
 * @module
 */

import { join } from 'node:path';
import { type ChildOutcome, describeFailure, runChild } from '../child-process.js';
import { fixed } from '../format.js';
import { median } from '../stats.js';
import type { BenchContext, BenchGoal, BenchSettings, BenchSuite, SuiteOutcome } from '../suite.js';
import { childrenCpuSeconds } from './child-cpu.js';
import { parseRunSummary, profileFromReport, type RunProfile, type RunSummary } from './run-summary.js';

/** One timed conformance run. */
export interface ConformanceRunSpec {
  readonly id: string;
  readonly label: string;
  /** Arguments after the CLI script. */
  readonly args: readonly string[];
  /** The issue's goal, in seconds of wall time. */
  readonly goalSeconds: number;
  /** The run is killed after this long. */
  readonly boundSeconds: number;
}

/** The issue's two runs. */
export const CONFORMANCE_RUNS: readonly ConformanceRunSpec[] = [
  { id: 'default', label: 'default run: all checks, 100 runs per property (run)', args: ['run'], goalSeconds: 5, boundSeconds: 150 },
  { id: 'deep', label: 'deep run: 1000 runs per property (run --runs 1000)', args: ['run', '--runs', '1000'], goalSeconds: 30, boundSeconds: 300 },
];

/** Reps per run (fewer with fewer `--processes`, so `--quick` takes one). */
export const CONFORMANCE_REPS = 3;
/** A rep over this multiple of the goal ends the run's reps: more would not change the verdict. */
export const STOP_FACTOR = 3;
/** Failure lines kept from a run that did not pass. */
const MAX_FAILURE_LINES = 8;
/** Slowest checks listed in the profile. */
const PROFILE_TOP = 8;

/** How one rep ended. */
export type RepOutcome =
  | { readonly kind: 'ok'; readonly seconds: number; readonly cpuSeconds: number | null; readonly summary: RunSummary }
  | {
      readonly kind: 'failed';
      readonly exitCode: number;
      readonly seconds: number;
      readonly cpuSeconds: number | null;
      readonly summary: RunSummary | null;
      /** The run's first failure lines (`FAIL check [clauses] config: message`). */
      readonly failures: readonly string[];
      readonly stderr: string;
    }
  | { readonly kind: 'timeout' | 'killed' | 'spawn-error' | 'bad-output'; readonly seconds: number; readonly message: string };

/** One run's reps and verdict. */
export interface ConformanceRow {
  readonly spec: ConformanceRunSpec;
  readonly reps: readonly RepOutcome[];
  /** Median wall seconds of the reps that exited 0, or null when none did (or any rep failed). */
  readonly seconds: number | null;
  readonly cpuSeconds: number | null;
  /** Results of the last rep that printed a summary. */
  readonly summary: RunSummary | null;
  readonly goal: BenchGoal;
  /** Why the reps stopped early, if they did. */
  readonly stopped: string | null;
}

/** Classifies one child's end (seconds and CPU seconds measured by the caller). */
export function classifyRep(outcome: ChildOutcome, cpuSeconds: number | null): RepOutcome {
  if (outcome.kind === 'spawn-error') return { kind: 'spawn-error', seconds: 0, message: describeFailure('the CLI', outcome) };
  const seconds = outcome.ms / 1000;
  if (outcome.kind === 'timeout') return { kind: 'timeout', seconds, message: describeFailure('the CLI', outcome) };
  if (outcome.kind === 'killed') return { kind: 'killed', seconds, message: describeFailure('the CLI', outcome) };
  const parsed = parseRunSummary(outcome.stdout);
  const summary = parsed.kind === 'ok' ? parsed.summary : null;
  if (outcome.code !== 0) {
    const failures = outcome.stdout.split('\n').filter((l) => /^(FAIL|NON-STRICT|CRASHED|TIMED-OUT|INCONCLUSIVE) /.test(l)).slice(0, MAX_FAILURE_LINES);
    return { kind: 'failed', exitCode: outcome.code, seconds, cpuSeconds, summary, failures, stderr: outcome.stderr.trim().split('\n').slice(-3).join(' | ') };
  }
  if (parsed.kind !== 'ok') return { kind: 'bad-output', seconds, message: parsed.message };
  return { kind: 'ok', seconds, cpuSeconds, summary: parsed.summary };
}

/** Median time and verdict of a run's reps: only a run whose every rep exited 0 is timed. */
export function judgeRun(spec: ConformanceRunSpec, reps: readonly RepOutcome[], stopped: string | null): ConformanceRow {
  const ok = reps.filter((r): r is Extract<RepOutcome, { kind: 'ok' }> => r.kind === 'ok');
  const allOk = reps.length > 0 && ok.length === reps.length;
  const seconds = allOk ? median(ok.map((r) => r.seconds)) : null;
  const cpus = ok.map((r) => r.cpuSeconds).filter((c): c is number => c !== null);
  const cpuSeconds = allOk && cpus.length === ok.length ? median(cpus) : null;
  const withSummary = [...reps].reverse().find((r) => (r.kind === 'ok' || r.kind === 'failed') && r.summary !== null) as { summary: RunSummary } | undefined;
  const goal: BenchGoal = { text: `${spec.id} run within ${spec.goalSeconds} s wall`, met: seconds !== null && seconds <= spec.goalSeconds };
  return { spec, reps, seconds, cpuSeconds, summary: withSummary?.summary ?? null, goal, stopped };
}

/** One cell describing how a run ended, when it was not timed as a success. */
function outcomeText(row: ConformanceRow): string {
  const bad = row.reps.find((r) => r.kind !== 'ok');
  if (bad === undefined) return 'exit 0';
  switch (bad.kind) {
    case 'failed':
      return `exit ${bad.exitCode}`;
    case 'timeout':
      return `killed at ${row.spec.boundSeconds} s`;
    default:
      return bad.kind;
  }
}

function resultsText(s: RunSummary | null): string {
  if (s === null) return '–';
  return `${s.total} (${Object.entries(s.byVerdict).map(([k, n]) => `${n} ${k}`).join(', ')})`;
}

/** Options of {@link runConformance} (tests replace the CLI and the runs). */
export interface ConformanceOptions {
  /** The program and leading arguments of the CLI. @default node harness/cli/bin.js */
  readonly cli?: readonly string[];
  readonly runs?: readonly ConformanceRunSpec[];
}

function estimateSeconds(s: BenchSettings): number {
  // A snapshot: the run grows as checks are added; about 10 s + 60 s on a quiet 2-vCPU VM at the time of writing.
  return Math.min(CONFORMANCE_REPS, s.processes) * 70;
}

/** Runs the whole-run rows. */
export async function runConformance(ctx: BenchContext, options: ConformanceOptions = {}): Promise<SuiteOutcome> {
  const { settings, progress } = ctx;
  const [file, ...prefix] = options.cli ?? [process.execPath, join(ctx.root, 'harness/cli/bin.js')];
  const runs = options.runs ?? CONFORMANCE_RUNS;
  const reps = Math.min(CONFORMANCE_REPS, settings.processes);
  const env = { ...process.env };
  // A run inside GitHub Actions would append its summary to the job's page once per rep.
  delete env['GITHUB_STEP_SUMMARY'];
  const spawnRun = async (args: readonly string[], boundSeconds: number) => {
    const cpu0 = childrenCpuSeconds();
    const outcome = await runChild(file as string, [...prefix, ...args], { timeoutMs: boundSeconds * 1000, cwd: ctx.root, env });
    const cpu1 = childrenCpuSeconds();
    return { outcome, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
  };

  const rows: ConformanceRow[] = [];
  for (const spec of runs) {
    const outcomes: RepOutcome[] = [];
    let stopped: string | null = null;
    for (let rep = 0; rep < reps; rep++) {
      const { outcome, cpu } = await spawnRun(spec.args, spec.boundSeconds);
      const r = classifyRep(outcome, cpu);
      outcomes.push(r);
      progress(`conformance-run: ${spec.id} rep ${rep + 1}/${reps}: ${r.kind === 'ok' ? `${r.seconds.toFixed(1)} s, ${r.summary.total} results` : `${r.kind}${r.kind === 'failed' ? ` (exit ${r.exitCode})` : ''} after ${r.seconds.toFixed(1)} s`}`);
      if (r.kind !== 'ok') {
        stopped = `rep ${rep + 1} did not exit 0`;
        break;
      }
      if (rep + 1 < reps && r.seconds > STOP_FACTOR * spec.goalSeconds) {
        stopped = `rep ${rep + 1} took over ${STOP_FACTOR}× the goal; no more reps`;
        break;
      }
    }
    rows.push(judgeRun(spec, outcomes, stopped));
  }

  // The profile of each run that missed its goal but ran to the end: per-check times from one more run, with --json.
  const profiles: { readonly id: string; readonly profile: RunProfile | null; readonly note: string | null }[] = [];
  for (const row of rows) {
    if (row.goal.met || !row.reps.some((r) => r.kind === 'ok' || r.kind === 'failed')) continue;
    progress(`conformance-run: ${row.spec.id} run missed its goal; one more run with --json for the per-check times`);
    const { outcome } = await spawnRun([...row.spec.args, '--json'], row.spec.boundSeconds);
    if (outcome.kind === 'exited') {
      const parsed = profileFromReport(outcome.stdout);
      profiles.push(parsed.kind === 'ok' ? { id: row.spec.id, profile: parsed.profile, note: null } : { id: row.spec.id, profile: null, note: `profile unavailable: ${parsed.message}` });
    } else {
      profiles.push({ id: row.spec.id, profile: null, note: `profile unavailable: ${describeFailure('the CLI with --json', outcome)}` });
    }
  }

  const secondsText = (v: number | null) => (v === null ? '–' : `${fixed(v, 2)} s`);
  const notes: string[] = [
    ...rows.map((r) => `${r.spec.id}: goal ${r.goal.text}: ${r.goal.met ? 'MET' : 'NOT MET'}${r.seconds === null ? ` (not timed: ${outcomeText(r)})` : ''}${r.stopped !== null ? `; ${r.stopped}` : ''}`),
    ...rows.flatMap((r) =>
      r.reps
        .filter((x): x is Extract<RepOutcome, { kind: 'failed' }> => x.kind === 'failed')
        .slice(0, 1)
        .flatMap((x) => [`${r.spec.id}: exited ${x.exitCode}${x.stderr !== '' ? `: ${x.stderr}` : ''}`, ...x.failures.map((l) => `  ${l}`)]),
    ),
    'a snapshot: the run grows as checks are added, so read the time beside the result count',
    `command: ${[file, ...prefix].join(' ')} <args>, cwd ${ctx.root}, no --report; wall time from spawn to exit, CPU = user + system of the process and its threads`,
  ];
  for (const { id, profile, note } of profiles) {
    if (profile === null) {
      notes.push(`${id}: ${note}`);
      continue;
    }
    const pct = (ms: number) => `${((100 * ms) / profile.totalMs).toFixed(0)}%`;
    notes.push(
      `profile of the ${id} run (one more run with --json; check durations summed over configurations, ${(profile.totalMs / 1000).toFixed(1)} s in all): by area ${profile.areas.map((a) => `${a.area} ${pct(a.ms)}`).join(', ')}`,
      ...profile.checks.slice(0, PROFILE_TOP).map((c) => `  ${(c.ms / 1000).toFixed(2).padStart(8)} s ${pct(c.ms).padStart(4)}  ${c.check} (${c.results} configurations)`),
    );
  }
  return {
    kind: 'ok',
    report: {
      id: 'conformance-run',
      title: 'Whole conformance run, reference device and front end: wall time per run (fresh process)',
      table: {
        columns: ['run', 'wall', 'CPU', 'reps', 'ended', 'results', 'goal'],
        rows: rows.map((r) => [r.spec.label, secondsText(r.seconds), secondsText(r.cpuSeconds), String(r.reps.length), outcomeText(r), resultsText(r.summary), `≤ ${r.spec.goalSeconds} s ${r.goal.met ? 'MET' : 'NOT MET'}`]),
      },
      notes,
      goals: rows.map((r) => r.goal),
      data: {
        command: [file, ...prefix],
        rows: rows.map((r) => ({ id: r.spec.id, args: r.spec.args, goalSeconds: r.spec.goalSeconds, boundSeconds: r.spec.boundSeconds, seconds: r.seconds, cpuSeconds: r.cpuSeconds, summary: r.summary, goalMet: r.goal.met, stopped: r.stopped, reps: r.reps })),
        profiles: profiles.map(({ id, profile, note }) => ({ id, note, ...(profile === null ? {} : { totalMs: profile.totalMs, areas: profile.areas, checks: profile.checks.slice(0, 25) }) })),
      },
    },
  };
}

/** The whole-run suite. */
export const conformanceRunSuite: BenchSuite = {
  id: 'conformance-run',
  title: 'whole conformance run: default and deep',
  needsCompiler: false,
  estimateSeconds,
  run: (ctx) => runConformance(ctx),
};
