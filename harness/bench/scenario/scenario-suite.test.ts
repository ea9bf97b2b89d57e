import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SUITES } from '../main.js';
import { findRoot } from '../repo-root.js';
import type { BenchContext, BenchSettings } from '../suite.js';
import { BASE_RUNS, COMMANDS_GOAL, runScenarios, runsPerRep, SCENARIO_GOAL_RUNS_PER_SECOND, scenarioGoal, scenarioProcesses } from './scenario-suite.js';

const root = findRoot();
const built = existsSync(join(root, 'dist/harness/bench/scenario/scenario-child.js'));

function context(settings: Partial<BenchSettings>, lines: string[] = []): BenchContext {
  return {
    root,
    buildDir: join(tmpdir(), 'unused'),
    settings: { ...DEFAULT_SETTINGS, childTimeoutMs: 60_000, ...settings },
    compiler: { kind: 'missing', message: 'not used' },
    progress: (line) => void lines.push(line),
  };
}

describe('scenario suite: sizes and goals', () => {
  it('is registered in the bench', () => {
    expect(SUITES.map((s) => s.id)).toContain('scenario');
  });

  it('scales runs per rep with --buffers (an eighth with --quick), never below 64', () => {
    expect(runsPerRep('ring-observed', DEFAULT_SETTINGS)).toBe(BASE_RUNS['ring-observed']);
    expect(runsPerRep('commands', { ...DEFAULT_SETTINGS, buffers: 1 << 18 })).toBe(BASE_RUNS.commands / 8);
    expect(runsPerRep('ring-observed', { ...DEFAULT_SETTINGS, buffers: 256 })).toBe(64);
    expect(scenarioProcesses(DEFAULT_SETTINGS)).toBe(3);
    expect(scenarioProcesses({ ...DEFAULT_SETTINGS, processes: 1 })).toBe(1);
  });

  it('judges the observed ring property against 100 k runs/s and the commands rows against ring-perf’s stretch goal', () => {
    expect(scenarioGoal('ring-observed', SCENARIO_GOAL_RUNS_PER_SECOND).met).toBe(true);
    expect(scenarioGoal('ring-observed', SCENARIO_GOAL_RUNS_PER_SECOND - 1).met).toBe(false);
    expect(scenarioGoal('ring-observed', 1).text).toMatch(/as the product runs it/);
    expect(scenarioGoal('commands', COMMANDS_GOAL.stretch).met).toBe(true);
    expect(scenarioGoal('commands-exact', COMMANDS_GOAL.stretch - 1).met).toBe(false);
  });
});

describe('scenario suite: runs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-suite-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(!built)('quick smoke: four rows from real children, 50 steps and about 20 commands a run', async () => {
    const lines: string[] = [];
    const outcome = await runScenarios(context({ processes: 2, reps: 2, buffers: 1 << 14 }, lines));
    if (outcome.kind !== 'ok') throw new Error(outcome.message);
    const data = outcome.report.data as { rows: { kind: string; runsPerRep: number; runsPerSecond: number; cpuRunsPerSecond: number; unitsPerRun: number; minUnits: number; maxUnits: number; processMedians: number[]; reps: number[][] }[] };
    expect(data.rows.map((r) => r.kind)).toEqual(['ring-observed', 'ring-bare', 'commands', 'commands-exact']);
    for (const r of data.rows) {
      expect(r.runsPerRep).toBe(64);
      expect(r.processMedians).toHaveLength(2);
      expect(r.reps.every((p) => p.length === 2)).toBe(true);
      expect(r.runsPerSecond).toBeGreaterThan(0);
      expect(r.cpuRunsPerSecond).toBeGreaterThan(0);
    }
    expect(data.rows.slice(0, 2).map((r) => [r.unitsPerRun, r.minUnits, r.maxUnits])).toEqual([[50, 50, 50], [50, 50, 50]]);
    expect(data.rows[2]?.maxUnits).toBeLessThanOrEqual(40);
    expect(data.rows[3]).toMatchObject({ unitsPerRun: 20, minUnits: 20, maxUnits: 20 });
    expect(outcome.report.goals).toHaveLength(4);
    expect(outcome.report.table.rows).toHaveLength(4);
    expect(lines.filter((l) => /^scenario: round \d\/2/.test(l))).toHaveLength(2);
  }, 120_000);

  it('stops when two processes report different work for the same seeds', async () => {
    const fake = join(dir, 'drifting-child.mjs');
    // Each process reports other unit counts: as a property whose scenarios depend on more than the seed.
    await writeFile(
      fake,
      `const [kind, runs, reps] = process.argv.slice(2);
const n = Number(reps);
const units = Math.floor(Math.random() * 1e9);
console.log(JSON.stringify({ kind, runsPerRep: Number(runs), ms: Array(n).fill(10), cpuMs: Array(n).fill(10),
  work: Array(n).fill({ runs: Number(runs), units, minUnits: 1, maxUnits: 2 }) }));
`,
    );
    const outcome = await runScenarios(context({ processes: 2, reps: 1, buffers: 256 }), { kinds: ['commands'], script: fake });
    expect(outcome).toMatchObject({ kind: 'suite-error', code: 'child-failed', message: expect.stringMatching(/process 2 ran other scenarios.*not deterministic/) });
  });

  it('reports a child that fails or answers for another property', async () => {
    const failing = join(dir, 'failing-child.mjs');
    await writeFile(failing, `process.stderr.write('scenario-child: rep 0: model disagreement\\n'); process.exit(1);\n`);
    const failed = await runScenarios(context({ processes: 1, reps: 1, buffers: 256 }), { kinds: ['ring-bare'], script: failing });
    expect(failed).toMatchObject({ kind: 'suite-error', code: 'child-failed', message: expect.stringMatching(/exited with code 1: scenario-child: rep 0: model disagreement/) });
    const other = join(dir, 'other-child.mjs');
    await writeFile(other, `console.log(JSON.stringify({ kind: 'commands', runsPerRep: 64, ms: [1], cpuMs: [1], work: [{ runs: 64, units: 1, minUnits: 0, maxUnits: 1 }] }));\n`);
    const wrong = await runScenarios(context({ processes: 1, reps: 1, buffers: 256 }), { kinds: ['ring-bare'], script: other });
    expect(wrong).toMatchObject({ kind: 'suite-error', code: 'child-failed', message: expect.stringMatching(/reported another run/) });
  });
});
