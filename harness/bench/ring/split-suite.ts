/**
 * The split-ring rows of `npm run bench`: the reference engine (TypeScript)
 * against its C twin on identical work, in ns/buffer, for {1, 2}
 * descriptors × batch {1, 16, 256}.
 *
 * Method (ring-perf §3): every (configuration, language) runs in several
 * fresh processes, interleaved round by round so that machine noise hits
 * both languages alike; each process warms up on a quarter of a rep, then
 * times `reps` reps from a reset ring. A cell is the median of the
 * per-process medians. The two languages must report identical checksums
 * for every configuration, or no ratio is given.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from '../c-build.js';
import { describeFailure, runChild } from '../child-process.js';
import { fixed } from '../format.js';
import { geometricMean, median, range } from '../stats.js';
import type { BenchContext, BenchSettings, BenchSuite, SuiteOutcome } from '../suite.js';
import { configLabel, SPLIT_BENCH_CONFIGS, type SplitBenchConfig, type SplitChecksums } from './split-workload.js';
import { parseTwinOutput, type TwinResult, twinArgs } from './twin-protocol.js';

/** The goal: TS within 2.0× of C as a geometric mean, no configuration above 2.5×. */
export const SPLIT_GOAL = { geometricMean: 2.0, maxRatio: 2.5 } as const;
/** ring-perf §8's realistic bound, printed for comparison. */
export const SPLIT_REALISTIC = { geometricMean: 2.5, maxRatio: 3.0 } as const;

/**
 * The engine sources the C twin was last checked against, line by line
 * (sha256, first 12 hex digits). When a hash differs the bench still runs
 * (the checksums still prove the same results), but warns that the twin
 * may no longer do the same work; re-check `c/split-*.h` against the
 * engine, then update these hashes.
 */
export const TWIN_MIRRORS: Readonly<Record<string, string>> = {
  'reference-impl/virtqueue/split-driver.ts': '72a279e0036b',
  'reference-impl/virtqueue/split-driver-state.ts': 'bb2b80cc2cdc',
  'reference-impl/virtqueue/split-device.ts': 'd1c9aeed6c92',
  'reference-impl/virtqueue/device-chain.ts': '775acb615c82',
  'reference-impl/virtqueue/segment-stage.ts': 'e787cb1d5cb4',
  'reference-impl/virtqueue/driver-result.ts': 'a471bc8b770f',
  'reference-impl/memory/guest-memory.ts': '5a5cbccdea84',
  'specs/virtqueue/notification.ts': '5e21dbaf4c76',
};

/** Benchmark files whose hashes also go into the report. */
const BENCH_SOURCES = [
  'harness/bench/ring/split-workload.ts',
  'harness/bench/c/split-twin.c',
  'harness/bench/c/split-driver.h',
  'harness/bench/c/split-device.h',
  'harness/bench/c/ring-common.h',
];

/** sha256 (first 12 hex digits) of each file under `root`, or `missing`. */
export function hashSources(root: string, files: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of files) {
    try {
      out[file] = createHash('sha256').update(readFileSync(join(root, file))).digest('hex').slice(0, 12);
    } catch {
      out[file] = 'missing';
    }
  }
  return out;
}

/** The mirrored engine files whose hash differs from {@link TWIN_MIRRORS}. */
export function twinDrift(root: string): string[] {
  const now = hashSources(root, Object.keys(TWIN_MIRRORS));
  return Object.keys(TWIN_MIRRORS).filter((file) => now[file] !== TWIN_MIRRORS[file]);
}

/** One configuration's measurements in one language. */
export interface LangCell {
  /** Median wall-clock ns/buffer of each process. */
  readonly processMedians: number[];
  /** Median CPU-time ns/buffer of each process. */
  readonly cpuProcessMedians: number[];
  /** Every timed rep of every process (wall ns/buffer), by process. */
  readonly reps: number[][];
  /** The same reps in CPU-time ns/buffer. */
  readonly cpuReps: number[][];
}

/** One configuration's result. */
export interface SplitRow {
  readonly config: SplitBenchConfig;
  readonly label: string;
  readonly cNs: number;
  readonly tsNs: number;
  /** TS ns/buffer divided by C ns/buffer. */
  readonly ratio: number;
  /** The same ratio in CPU time (immune to waiting for a CPU on a busy machine). */
  readonly cpuRatio: number;
  readonly checksums: SplitChecksums;
  readonly c: LangCell;
  readonly ts: LangCell;
}

/** Whether `ratios` meet a goal of the form "geometric mean ≤ g, every ratio ≤ m". */
export function meetsGoal(ratios: readonly number[], goal: { readonly geometricMean: number; readonly maxRatio: number }): boolean {
  return ratios.length > 0 && geometricMean(ratios) <= goal.geometricMean && ratios.every((r) => r <= goal.maxRatio);
}

function sameChecksums(a: SplitChecksums, b: SplitChecksums): boolean {
  return a.driver === b.driver && a.device === b.device && a.kicks === b.kicks && a.irqs === b.irqs;
}

/** The compiled TypeScript child: beside this module in dist/, else under the root's dist/. */
function tsChildScript(root: string): string {
  const here = fileURLToPath(new URL('./split-child.js', import.meta.url));
  return existsSync(here) ? here : join(root, 'dist/harness/bench/ring/split-child.js');
}

function estimateSeconds(s: BenchSettings): number {
  // Roughly 70 ns (TS) + 30 ns (C) per buffer plus process start, as measured on a 2-vCPU VM.
  const perProcessPair = (s.reps + 0.25) * s.buffers * 100e-9 + 0.12;
  return SPLIT_BENCH_CONFIGS.length * s.processes * perProcessPair;
}

/**
 * Runs the split-ring rows. `twin` replaces the C twin by another program
 * speaking the same protocol (tests use it to check that a checksum
 * mismatch stops the run); without it the twin is built with gcc.
 */
export async function runSplitRing(ctx: BenchContext, twin?: string): Promise<SuiteOutcome> {
  const { settings, progress } = ctx;
  let build: { readonly binary: string; readonly command: readonly string[] };
  if (twin !== undefined) {
    build = { binary: twin, command: [twin] };
  } else {
    if (ctx.compiler.kind !== 'found') return { kind: 'suite-error', code: 'toolchain-missing', message: ctx.compiler.message };
    const built = await buildC({
      compiler: ctx.compiler,
      source: join(ctx.root, 'harness/bench/c/split-twin.c'),
      outDir: ctx.buildDir,
      flags: ['-O2', ...settings.cFlags],
    });
    if (built.kind === 'build-failed') return { kind: 'suite-error', code: 'build-failed', message: built.message };
    progress(`split-ring: C twin ${built.kind}: ${built.command.join(' ')}`);
    build = built;
  }
  const script = tsChildScript(ctx.root);
  if (!existsSync(script)) {
    return { kind: 'suite-error', code: 'child-failed', message: `${script} is missing; build first with 'npx tsc -p .'` };
  }
  const langs = {
    c: { file: build.binary, prefix: [] as string[] },
    ts: { file: process.execPath, prefix: [...settings.nodeFlags, script] },
  };

  const cells = SPLIT_BENCH_CONFIGS.map((config) => ({
    config,
    c: { processMedians: [], cpuProcessMedians: [], reps: [], cpuReps: [] } as LangCell,
    ts: { processMedians: [], cpuProcessMedians: [], reps: [], cpuReps: [] } as LangCell,
    checksums: undefined as { value: SplitChecksums; from: string } | undefined,
  }));

  for (let round = 0; round < settings.processes; round++) {
    const started = performance.now();
    for (const [i, cell] of cells.entries()) {
      // Alternate which language goes first, so neither always runs on a machine the other just warmed.
      const order = (round + i) % 2 === 0 ? (['c', 'ts'] as const) : (['ts', 'c'] as const);
      for (const lang of order) {
        const what = `${lang === 'c' ? 'C twin' : 'TS child'} (${configLabel(cell.config)})`;
        const args = twinArgs(cell.config.descriptors, cell.config.batch, settings.buffers, settings.reps);
        const outcome = await runChild(langs[lang].file, [...langs[lang].prefix, ...args], { timeoutMs: settings.childTimeoutMs });
        if (outcome.kind !== 'exited' || outcome.code !== 0) {
          return { kind: 'suite-error', code: 'child-failed', message: describeFailure(what, outcome) };
        }
        const parsed = parseTwinOutput(outcome.stdout);
        if (parsed.kind !== 'ok') return { kind: 'suite-error', code: 'child-failed', message: `${what}: ${parsed.message}` };
        const r: TwinResult = parsed.result;
        if (r.lang !== lang || r.descriptors !== cell.config.descriptors || r.batch !== cell.config.batch || r.buffers !== settings.buffers) {
          return { kind: 'suite-error', code: 'child-failed', message: `${what} reported another configuration: ${JSON.stringify(r)}` };
        }
        if (cell.checksums === undefined) cell.checksums = { value: r.checksums, from: what };
        else if (!sameChecksums(cell.checksums.value, r.checksums)) {
          return {
            kind: 'suite-error',
            code: 'checksum-mismatch',
            message: `${what} checksums ${JSON.stringify(r.checksums)} differ from ${cell.checksums.from} ${JSON.stringify(cell.checksums.value)}: the two sides did different work`,
          };
        }
        cell[lang].reps.push(r.ns);
        cell[lang].processMedians.push(median(r.ns));
        cell[lang].cpuReps.push(r.cpuNs);
        cell[lang].cpuProcessMedians.push(median(r.cpuNs));
      }
    }
    progress(`split-ring: round ${round + 1}/${settings.processes} (12 processes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const rows: SplitRow[] = cells.map((cell) => {
    const cNs = median(cell.c.processMedians);
    const tsNs = median(cell.ts.processMedians);
    return {
      config: cell.config,
      label: configLabel(cell.config),
      cNs,
      tsNs,
      ratio: tsNs / cNs,
      cpuRatio: median(cell.ts.cpuProcessMedians) / median(cell.c.cpuProcessMedians),
      checksums: (cell.checksums as { value: SplitChecksums }).value,
      c: cell.c,
      ts: cell.ts,
    };
  });
  const ratios = rows.map((r) => r.ratio);
  const geo = geometricMean(ratios);
  const max = Math.max(...ratios);
  const cpuRatios = rows.map((r) => r.cpuRatio);
  const drift = twinDrift(ctx.root);
  const goal = meetsGoal(ratios, SPLIT_GOAL);
  const cpuGoal = meetsGoal(cpuRatios, SPLIT_GOAL);
  // Configurations whose wall-clock ratio strays from its CPU-time ratio: waiting for a CPU skewed them.
  const skewed = rows.filter((r) => Math.abs(r.ratio / r.cpuRatio - 1) > 0.1).map((r) => r.label);
  const realistic = meetsGoal(ratios, SPLIT_REALISTIC);
  const spread = (cell: LangCell) => {
    const [lo, hi] = range(cell.processMedians);
    return `${fixed(lo, 1)}–${fixed(hi, 1)}`;
  };
  const goalText = `TS ≤ ${SPLIT_GOAL.geometricMean.toFixed(1)}× C as a geometric mean, no configuration above ${SPLIT_GOAL.maxRatio.toFixed(1)}×`;
  const realisticText = `ring-perf §8 realistic bound: ≤ ${SPLIT_REALISTIC.geometricMean.toFixed(1)}×, none above ${SPLIT_REALISTIC.maxRatio.toFixed(1)}×`;
  return {
    kind: 'ok',
    report: {
      id: 'split-ring',
      title: 'Split ring, reference engine (TS) vs C twin: ns per buffer',
      table: {
        columns: ['config', 'C ns/buf', 'TS ns/buf', 'TS/C', 'TS M buf/s', 'C process medians', 'TS process medians'],
        rows: rows.map((r) => [r.label, fixed(r.cNs, 1), fixed(r.tsNs, 1), `${fixed(r.ratio, 2)}×`, fixed(1000 / r.tsNs, 1), spread(r.c), spread(r.ts)]),
      },
      notes: [
        `geometric mean TS/C: ${fixed(geo, 2)}×, worst configuration ${fixed(max, 2)}×`,
        `goal (${goalText}): ${goal ? 'MET' : 'NOT MET'}`,
        `${realisticText}: ${realistic ? 'met' : 'not met'}`,
        `in CPU time (excludes waiting for a CPU): geometric mean ${fixed(geometricMean(cpuRatios), 2)}×, worst ${fixed(Math.max(...cpuRatios), 2)}× (${rows.map((r) => fixed(r.cpuRatio, 2)).join(' ')}); goal ${cpuGoal ? 'MET' : 'NOT MET'}`,
        ...(skewed.length > 0
          ? [`warning: wall-clock and CPU-time ratios differ by more than 10% for ${skewed.join(', ')}: the machine was busy; trust the CPU-time ratios, or run again`]
          : []),
        `checksums identical in C and TS for all ${rows.length} configurations; ${settings.processes} processes × ${settings.reps} reps × ${settings.buffers} buffers per cell`,
        `C: ${build.command.slice(0, -3).join(' ')} (${settings.cFlags.includes('-DALLOW_INLINE') ? 'entry points may be inlined' : 'engine entry points out of line'}); TS: node ${settings.nodeFlags.length > 0 ? settings.nodeFlags.join(' ') : '(no V8 flags)'}`,
        ...(drift.length === 0
          ? []
          : [`warning: the engine changed since the C twin was checked against it (${drift.join(', ')}): re-check harness/bench/c/ and update TWIN_MIRRORS`]),
      ],
      goals: [
        { text: goalText, met: goal },
        { text: realisticText, met: realistic },
        { text: `${goalText}, in CPU time`, met: cpuGoal },
      ],
      data: {
        geometricMean: geo,
        maxRatio: max,
        cpuGeometricMean: geometricMean(cpuRatios),
        cpuMaxRatio: Math.max(...cpuRatios),
        skewedByLoad: skewed,
        goal: { ...SPLIT_GOAL, met: goal },
        realistic: { ...SPLIT_REALISTIC, met: realistic },
        cBuild: build.command,
        tsCommand: [process.execPath, ...langs.ts.prefix],
        sources: hashSources(ctx.root, [...Object.keys(TWIN_MIRRORS), ...BENCH_SOURCES]),
        twinDrift: drift,
        rows: rows.map((r) => ({
          descriptors: r.config.descriptors,
          batch: r.config.batch,
          cNsPerBuffer: r.cNs,
          tsNsPerBuffer: r.tsNs,
          ratio: r.ratio,
          cpuRatio: r.cpuRatio,
          checksums: r.checksums,
          c: r.c,
          ts: r.ts,
        })),
      },
    },
  };
}

/** The split-ring suite. */
export const splitRingSuite: BenchSuite = {
  id: 'split-ring',
  title: 'split ring: TS reference engine vs C twin',
  needsCompiler: true,
  estimateSeconds,
  run: (ctx) => runSplitRing(ctx),
};
