/**
 * The packed-ring rows of `npm run bench`: the packed reference engine
 * (TypeScript) against its C twin (`c/packed-twin.c`) on identical work, in
 * ns/buffer, for {1, 2} descriptors × batch {1, 16, 256}: the split-ring
 * method (`split-suite.ts`) on the packed ring. Both sides must report
 * identical checksums for every configuration, or no ratio is given.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC } from '../c-build.js';
import { describeFailure, runChild } from '../child-process.js';
import { fixed } from '../format.js';
import { geometricMean, median, range } from '../stats.js';
import type { BenchContext, BenchSettings, BenchSuite, SuiteOutcome } from '../suite.js';
import { hashSources, type LangCell, meetsGoal, SPLIT_GOAL, SPLIT_REALISTIC } from './split-suite.js';
import { configLabel, SPLIT_BENCH_CONFIGS, type SplitChecksums } from './split-workload.js';
import { parseTwinOutput, twinArgs } from './twin-protocol.js';

/**
 * The engine sources `c/packed-*.h` were last checked against, line by line
 * (sha256, first 12 hex digits); when one changes the bench warns (the
 * checksums still prove the same results).
 */
export const PACKED_TWIN_MIRRORS: Readonly<Record<string, string>> = {
  'reference-impl/virtqueue/packed-driver.ts': 'c5e2cf7976b7',
  'reference-impl/virtqueue/packed-driver-state.ts': 'db4fb917b5de',
  'reference-impl/virtqueue/packed-device.ts': 'ec4f65e01280',
  'reference-impl/virtqueue/device-chain.ts': '775acb615c82',
  'reference-impl/virtqueue/segment-stage.ts': 'e787cb1d5cb4',
  'reference-impl/virtqueue/driver-result.ts': 'a471bc8b770f',
  'reference-impl/memory/guest-memory.ts': '5a5cbccdea84',
  'specs/virtqueue/notification.ts': '5e21dbaf4c76',
  'specs/virtqueue/packed.ts': '01fc509c38ab',
};

const BENCH_SOURCES = [
  'harness/bench/ring/packed-workload.ts',
  'harness/bench/c/packed-twin.c',
  'harness/bench/c/packed-driver.h',
  'harness/bench/c/packed-device.h',
  'harness/bench/c/packed-common.h',
  'harness/bench/c/ring-common.h',
];

/** The mirrored engine files whose hash differs from {@link PACKED_TWIN_MIRRORS}. */
export function packedTwinDrift(root: string): string[] {
  const now = hashSources(root, Object.keys(PACKED_TWIN_MIRRORS));
  return Object.keys(PACKED_TWIN_MIRRORS).filter((file) => now[file] !== PACKED_TWIN_MIRRORS[file]);
}

function sameChecksums(a: SplitChecksums, b: SplitChecksums): boolean {
  return a.driver === b.driver && a.device === b.device && a.kicks === b.kicks && a.irqs === b.irqs;
}

function tsChildScript(root: string): string {
  const here = fileURLToPath(new URL('./packed-child.js', import.meta.url));
  return existsSync(here) ? here : join(root, 'dist/harness/bench/ring/packed-child.js');
}

function estimateSeconds(s: BenchSettings): number {
  // About 90 ns (TS) + 35 ns (C) per buffer plus process start, as measured on a 2-vCPU VM.
  return SPLIT_BENCH_CONFIGS.length * s.processes * ((s.reps + 0.25) * s.buffers * 125e-9 + 0.12);
}

const emptyCell = (): LangCell => ({ processMedians: [], cpuProcessMedians: [], reps: [], cpuReps: [] });

/** Runs the packed-ring rows; `twin` replaces the C twin by another program speaking the same protocol (tests). */
export async function runPackedRing(ctx: BenchContext, twin?: string): Promise<SuiteOutcome> {
  const { settings, progress } = ctx;
  let build: { readonly binary: string; readonly command: readonly string[] };
  if (twin !== undefined) {
    build = { binary: twin, command: [twin] };
  } else {
    if (ctx.compiler.kind !== 'found') return { kind: 'suite-error', code: 'toolchain-missing', message: ctx.compiler.message };
    const built = await buildC({ compiler: ctx.compiler, source: join(ctx.root, 'harness/bench/c/packed-twin.c'), outDir: ctx.buildDir, flags: ['-O2', ...settings.cFlags] });
    if (built.kind === 'build-failed') return { kind: 'suite-error', code: 'build-failed', message: built.message };
    progress(`packed-ring: C twin ${built.kind}: ${built.command.join(' ')}`);
    build = built;
  }
  const script = tsChildScript(ctx.root);
  if (!existsSync(script)) return { kind: 'suite-error', code: 'child-failed', message: `${script} is missing; build first with 'npx tsc -p .'` };
  const langs = { c: { file: build.binary, prefix: [] as string[] }, ts: { file: process.execPath, prefix: [...settings.nodeFlags, script] } };
  const cells = SPLIT_BENCH_CONFIGS.map((config) => ({ config, c: emptyCell(), ts: emptyCell(), checksums: undefined as { value: SplitChecksums; from: string } | undefined }));

  for (let round = 0; round < settings.processes; round++) {
    const started = performance.now();
    for (const [i, cell] of cells.entries()) {
      const order = (round + i) % 2 === 0 ? (['c', 'ts'] as const) : (['ts', 'c'] as const);
      for (const lang of order) {
        const what = `${lang === 'c' ? 'packed C twin' : 'packed TS child'} (${configLabel(cell.config)})`;
        const args = twinArgs(cell.config.descriptors, cell.config.batch, settings.buffers, settings.reps);
        const outcome = await runChild(langs[lang].file, [...langs[lang].prefix, ...args], { timeoutMs: settings.childTimeoutMs });
        if (outcome.kind !== 'exited' || outcome.code !== 0) return { kind: 'suite-error', code: 'child-failed', message: describeFailure(what, outcome) };
        const parsed = parseTwinOutput(outcome.stdout);
        if (parsed.kind !== 'ok') return { kind: 'suite-error', code: 'child-failed', message: `${what}: ${parsed.message}` };
        const r = parsed.result;
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
    progress(`packed-ring: round ${round + 1}/${settings.processes} (12 processes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const rows = cells.map((cell) => {
    const cNs = median(cell.c.processMedians);
    const tsNs = median(cell.ts.processMedians);
    const cpuRatio = median(cell.ts.cpuProcessMedians) / median(cell.c.cpuProcessMedians);
    return { ...cell, label: configLabel(cell.config), cNs, tsNs, ratio: tsNs / cNs, cpuRatio, checksums: (cell.checksums as { value: SplitChecksums }).value };
  });
  const ratios = rows.map((r) => r.ratio);
  const cpuRatios = rows.map((r) => r.cpuRatio);
  const geo = geometricMean(ratios);
  const max = Math.max(...ratios);
  const goal = meetsGoal(ratios, SPLIT_GOAL);
  const cpuGoal = meetsGoal(cpuRatios, SPLIT_GOAL);
  const realistic = meetsGoal(ratios, SPLIT_REALISTIC);
  const drift = packedTwinDrift(ctx.root);
  const skewed = rows.filter((r) => Math.abs(r.ratio / r.cpuRatio - 1) > 0.1).map((r) => r.label);
  const spread = (cell: LangCell) => {
    const [lo, hi] = range(cell.processMedians);
    return `${fixed(lo, 1)}–${fixed(hi, 1)}`;
  };
  const goalText = `TS ≤ ${SPLIT_GOAL.geometricMean.toFixed(1)}× C as a geometric mean, no configuration above ${SPLIT_GOAL.maxRatio.toFixed(1)}×`;
  const realisticText = `ring-perf §8 realistic bound: ≤ ${SPLIT_REALISTIC.geometricMean.toFixed(1)}×, none above ${SPLIT_REALISTIC.maxRatio.toFixed(1)}×`;
  return {
    kind: 'ok',
    report: {
      id: 'packed-ring',
      title: 'Packed ring, reference engine (TS) vs C twin: ns per buffer',
      table: {
        columns: ['config', 'C ns/buf', 'TS ns/buf', 'TS/C', 'TS M buf/s', 'C process medians', 'TS process medians'],
        rows: rows.map((r) => [r.label, fixed(r.cNs, 1), fixed(r.tsNs, 1), `${fixed(r.ratio, 2)}×`, fixed(1000 / r.tsNs, 1), spread(r.c), spread(r.ts)]),
      },
      notes: [
        `geometric mean TS/C: ${fixed(geo, 2)}×, worst configuration ${fixed(max, 2)}×`,
        `goal (${goalText}): ${goal ? 'MET' : 'NOT MET'}`,
        `${realisticText}: ${realistic ? 'met' : 'not met'}`,
        `in CPU time (excludes waiting for a CPU): geometric mean ${fixed(geometricMean(cpuRatios), 2)}×, worst ${fixed(Math.max(...cpuRatios), 2)}× (${rows.map((r) => fixed(r.cpuRatio, 2)).join(' ')}); goal ${cpuGoal ? 'MET' : 'NOT MET'}`,
        ...(skewed.length > 0 ? [`warning: wall-clock and CPU-time ratios differ by more than 10% for ${skewed.join(', ')}: the machine was busy; trust the CPU-time ratios, or run again`] : []),
        `checksums identical in C and TS for all ${rows.length} configurations; ${settings.processes} processes × ${settings.reps} reps × ${settings.buffers} buffers per cell`,
        `C: ${build.command.slice(0, -3).join(' ')} (${settings.cFlags.includes('-DALLOW_INLINE') ? 'entry points may be inlined' : 'engine entry points out of line'}); TS: node ${settings.nodeFlags.length > 0 ? settings.nodeFlags.join(' ') : '(no V8 flags)'}`,
        ...(drift.length === 0 ? [] : [`warning: the engine changed since the C twin was checked against it (${drift.join(', ')}): re-check harness/bench/c/packed-*.h and update PACKED_TWIN_MIRRORS`]),
      ],
      goals: [
        { text: `packed: ${goalText}`, met: goal },
        { text: `packed: ${realisticText}`, met: realistic },
        { text: `packed: ${goalText}, in CPU time`, met: cpuGoal },
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
        sources: hashSources(ctx.root, [...Object.keys(PACKED_TWIN_MIRRORS), ...BENCH_SOURCES]),
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

/** The packed-ring suite. */
export const packedRingSuite: BenchSuite = {
  id: 'packed-ring',
  title: 'packed ring: TS reference engine vs C twin',
  needsCompiler: true,
  estimateSeconds,
  run: (ctx) => runPackedRing(ctx),
};
