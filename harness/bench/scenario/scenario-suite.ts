/**
 * The scenario rows of `npm run bench`: runs per second of the ring
 * scenario property (50 steps, split ring, with and without the observer)
 * and of a model-based `fc.commands` property of about 20 commands
 * (`scenario-workloads.ts` says what each property is).
 *
 * Every property runs in several fresh processes, interleaved round by
 * round; each process warms up on half a rep, then times `reps` checks of a
 * fixed number of runs, rep i from the same seed in every process. A cell is
 * the median of the per-process medians. Every process must report the same
 * work (runs, steps or commands) per rep, or the suite stops: the processes
 * did not run the same scenarios.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFailure, runChild } from '../child-process.js';
import { fixed } from '../format.js';
import { median, range } from '../stats.js';
import type { BenchContext, BenchGoal, BenchSettings, BenchSuite, SuiteOutcome } from '../suite.js';
import { parseScenarioOutput, scenarioArgs } from './scenario-protocol.js';
import { COMMANDS_PER_RUN, SCENARIO_KINDS, SCENARIO_STEPS, type ScenarioKind, type ScenarioWork } from './scenario-workloads.js';

/** The issue's goal for the ring scenario property as the product runs it (observer on). */
export const SCENARIO_GOAL_RUNS_PER_SECOND = 100_000;
/** ring-perf §8(b) for `fc.commands` runs of about 20 commands: realistic and stretch. */
export const COMMANDS_GOAL = { realistic: 50_000, stretch: 75_000 } as const;

/** Runs per timed rep at the default settings (about 0.2–0.5 s a rep on a 2-vCPU VM). */
export const BASE_RUNS: Readonly<Record<ScenarioKind, number>> = {
  'ring-observed': 2048,
  'ring-bare': 8192,
  commands: 8192,
  'commands-exact': 8192,
};

/** The `--buffers` value the base runs belong to; other values scale them (so `--quick` takes an eighth). */
const BASE_BUFFERS = 1 << 21;
/** Processes per property: a few are enough, the spread is printed. */
const MAX_PROCESSES = 3;

/** What each row measures, in words. */
export const SCENARIO_LABELS: Readonly<Record<ScenarioKind, string>> = {
  'ring-observed': `ring scenario, ${SCENARIO_STEPS} steps, split, observer on (as the product runs it)`,
  'ring-bare': `ring scenario, ${SCENARIO_STEPS} steps, split, observer off`,
  commands: `fc.commands, maxCommands ${2 * COMMANDS_PER_RUN} (about ${COMMANDS_PER_RUN} a run)`,
  'commands-exact': `exactly ${COMMANDS_PER_RUN} commands (fc.array + fc.modelRun)`,
};

/** Runs per timed rep of `kind` at `settings`. */
export function runsPerRep(kind: ScenarioKind, settings: BenchSettings): number {
  return Math.max(64, Math.round((BASE_RUNS[kind] * settings.buffers) / BASE_BUFFERS));
}

/** Processes per property at `settings`. */
export function scenarioProcesses(settings: BenchSettings): number {
  return Math.min(settings.processes, MAX_PROCESSES);
}

/** One property's measurements. */
export interface ScenarioRow {
  readonly kind: ScenarioKind;
  readonly label: string;
  readonly runsPerRep: number;
  /** Median over processes of the per-process median runs/s (wall clock). */
  readonly runsPerSecond: number;
  /** The same in CPU time. */
  readonly cpuRunsPerSecond: number;
  /** Steps or commands per run (mean over one process's reps: every process ran the same). */
  readonly unitsPerRun: number;
  readonly minUnits: number;
  readonly maxUnits: number;
  readonly processMedians: number[];
  readonly cpuProcessMedians: number[];
  /** Wall-clock runs/s of every rep, by process. */
  readonly reps: number[][];
  readonly goal: BenchGoal;
}

/** The goal a row is judged against. */
export function scenarioGoal(kind: ScenarioKind, runsPerSecond: number): BenchGoal {
  const n = (v: number) => v.toLocaleString('en-US');
  switch (kind) {
    case 'ring-observed':
      return { text: `≥ ${n(SCENARIO_GOAL_RUNS_PER_SECOND)} runs/s (the issue's goal, for the property as the product runs it)`, met: runsPerSecond >= SCENARIO_GOAL_RUNS_PER_SECOND };
    case 'ring-bare':
      return { text: `≥ ${n(SCENARIO_GOAL_RUNS_PER_SECOND)} runs/s without the observer (for comparison: the product always observes)`, met: runsPerSecond >= SCENARIO_GOAL_RUNS_PER_SECOND };
    case 'commands':
    case 'commands-exact':
      return { text: `≥ ${n(COMMANDS_GOAL.stretch)} runs/s (ring-perf §8(b) stretch; realistic ${n(COMMANDS_GOAL.realistic)})`, met: runsPerSecond >= COMMANDS_GOAL.stretch };
  }
}

function sameWork(a: readonly ScenarioWork[], b: readonly ScenarioWork[]): boolean {
  return a.length === b.length && a.every((w, i) => {
    const v = b[i] as ScenarioWork;
    return w.runs === v.runs && w.units === v.units && w.minUnits === v.minUnits && w.maxUnits === v.maxUnits;
  });
}

/** The compiled child: beside this module in dist/, else under the root's dist/. */
function childScript(root: string): string {
  const here = fileURLToPath(new URL('./scenario-child.js', import.meta.url));
  return existsSync(here) ? here : join(root, 'dist/harness/bench/scenario/scenario-child.js');
}

function estimateSeconds(s: BenchSettings): number {
  // Measured on a 2-vCPU VM: about 5 k runs/s observed, 20–60 k runs/s for the others, 0.3 s per process start.
  const rate: Record<ScenarioKind, number> = { 'ring-observed': 5_000, 'ring-bare': 20_000, commands: 50_000, 'commands-exact': 50_000 };
  const perRound = SCENARIO_KINDS.reduce((sum, k) => sum + ((s.reps + 0.5) * runsPerRep(k, s)) / rate[k] + 0.3, 0);
  return scenarioProcesses(s) * perRound;
}

/** Options of {@link runScenarios} (for tests). */
export interface ScenarioSuiteOptions {
  /** The properties to time. @default SCENARIO_KINDS */
  readonly kinds?: readonly ScenarioKind[];
  /** Another child script speaking the same protocol. @default the compiled scenario-child.js */
  readonly script?: string;
}

/** Runs the scenario rows. */
export async function runScenarios(ctx: BenchContext, options: ScenarioSuiteOptions = {}): Promise<SuiteOutcome> {
  const { settings, progress } = ctx;
  const kinds = options.kinds ?? SCENARIO_KINDS;
  const script = options.script ?? childScript(ctx.root);
  if (!existsSync(script)) return { kind: 'suite-error', code: 'child-failed', message: `${script} is missing; build first with 'npx tsc -p .'` };
  const processes = scenarioProcesses(settings);
  const cells = kinds.map((kind) => ({
    kind,
    runs: runsPerRep(kind, settings),
    work: undefined as ScenarioWork[] | undefined,
    processMedians: [] as number[],
    cpuProcessMedians: [] as number[],
    reps: [] as number[][],
  }));
  for (let round = 0; round < processes; round++) {
    const started = performance.now();
    for (const cell of cells) {
      const what = `scenario child (${cell.kind})`;
      const outcome = await runChild(process.execPath, [...settings.nodeFlags, script, ...scenarioArgs(cell.kind, cell.runs, settings.reps)], { timeoutMs: settings.childTimeoutMs });
      if (outcome.kind !== 'exited' || outcome.code !== 0) return { kind: 'suite-error', code: 'child-failed', message: describeFailure(what, outcome) };
      const parsed = parseScenarioOutput(outcome.stdout);
      if (parsed.kind !== 'ok') return { kind: 'suite-error', code: 'child-failed', message: `${what}: ${parsed.message}` };
      const r = parsed.result;
      if (r.kind !== cell.kind || r.runsPerRep !== cell.runs || r.ms.length !== settings.reps) {
        return { kind: 'suite-error', code: 'child-failed', message: `${what} reported another run: ${JSON.stringify({ kind: r.kind, runsPerRep: r.runsPerRep, reps: r.ms.length })}` };
      }
      if (cell.work === undefined) cell.work = r.work;
      else if (!sameWork(cell.work, r.work)) {
        return { kind: 'suite-error', code: 'child-failed', message: `${what}: process ${round + 1} ran other scenarios than process 1 (${JSON.stringify(r.work)} vs ${JSON.stringify(cell.work)}): the property is not deterministic for a seed` };
      }
      const perSecond = r.ms.map((ms) => (cell.runs * 1000) / ms);
      cell.reps.push(perSecond);
      cell.processMedians.push(median(perSecond));
      cell.cpuProcessMedians.push(median(r.cpuMs.map((ms) => (ms > 0 ? (cell.runs * 1000) / ms : Number.POSITIVE_INFINITY))));
    }
    progress(`scenario: round ${round + 1}/${processes} (${cells.length} processes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const rows: ScenarioRow[] = cells.map((cell) => {
    const work = cell.work as ScenarioWork[];
    const runsPerSecond = median(cell.processMedians);
    return {
      kind: cell.kind,
      label: SCENARIO_LABELS[cell.kind],
      runsPerRep: cell.runs,
      runsPerSecond,
      cpuRunsPerSecond: median(cell.cpuProcessMedians),
      unitsPerRun: work.reduce((s, w) => s + w.units, 0) / work.reduce((s, w) => s + w.runs, 0),
      minUnits: Math.min(...work.map((w) => w.minUnits)),
      maxUnits: Math.max(...work.map((w) => w.maxUnits)),
      processMedians: cell.processMedians,
      cpuProcessMedians: cell.cpuProcessMedians,
      reps: cell.reps,
      goal: scenarioGoal(cell.kind, runsPerSecond),
    };
  });
  const k = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} k` : '–');
  // Process CPU time includes V8's GC and compiler threads, so CPU runs/s may be lower than wall runs/s;
  // only a wall rate well below the CPU rate means the process waited for a CPU.
  const skewed = rows.filter((r) => r.runsPerSecond < 0.9 * r.cpuRunsPerSecond).map((r) => r.kind);
  return {
    kind: 'ok',
    report: {
      id: 'scenario',
      title: 'Property runs per second (fast-check 4, one process per property)',
      table: {
        columns: ['property', 'runs/s', 'µs/run', 'CPU runs/s', 'steps|cmds per run', 'process medians', 'goal'],
        rows: rows.map((r) => {
          const [lo, hi] = range(r.processMedians);
          return [r.label, k(r.runsPerSecond), fixed(1e6 / r.runsPerSecond, 1), k(r.cpuRunsPerSecond), `${fixed(r.unitsPerRun, 1)} (${r.minUnits}–${r.maxUnits})`, `${k(lo)}–${k(hi)}`, r.goal.met ? 'MET' : 'NOT MET'];
        }),
      },
      notes: [
        ...rows.map((r) => `${r.kind}: goal ${r.goal.text}: ${r.goal.met ? 'MET' : 'NOT MET'}`),
        'CPU runs/s counts the process CPU time, V8\'s GC and compiler threads included (so it can be below the wall rate)',
        ...(skewed.length > 0 ? [`warning: the wall-clock rate is more than 10% below the CPU-time rate for ${skewed.join(', ')}: the machine was busy; compare the CPU runs/s, or run again`] : []),
        `${processes} process${processes === 1 ? '' : 'es'} × ${settings.reps} reps per property (rep i from the same seed in every process; every process ran the same scenarios); runs per rep: ${rows.map((r) => `${r.kind} ${r.runsPerRep}`).join(', ')}; TS: node ${settings.nodeFlags.length > 0 ? settings.nodeFlags.join(' ') : '(no V8 flags)'}`,
      ],
      goals: rows.map((r) => r.goal),
      data: {
        goalRunsPerSecond: SCENARIO_GOAL_RUNS_PER_SECOND,
        commandsGoal: COMMANDS_GOAL,
        command: [process.execPath, ...settings.nodeFlags, script],
        rows,
      },
    },
  };
}

/** The scenario suite. */
export const scenarioSuite: BenchSuite = {
  id: 'scenario',
  title: 'property runs/s: ring scenario (50 steps) and fc.commands (about 20 commands)',
  needsCompiler: false,
  estimateSeconds,
  run: (ctx) => runScenarios(ctx),
};
