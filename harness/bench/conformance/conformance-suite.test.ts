import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SUITES } from '../main.js';
import { findRoot } from '../repo-root.js';
import type { BenchContext, BenchSettings } from '../suite.js';
import { classifyRep, type ConformanceRunSpec, judgeRun, runConformance } from './conformance-suite.js';

const root = findRoot();
const summary = { total: 3, byVerdict: { pass: 2, 'not-applicable': 1 }, passed: 2, failed: 0, skipped: 1 };
const PRINTED = '3 results: 2 pass, 1 not-applicable\n2 passed, 0 failed, 1 skipped\n';

function context(settings: Partial<BenchSettings>, lines: string[] = []): BenchContext {
  return {
    root,
    buildDir: join(tmpdir(), 'unused'),
    settings: { ...DEFAULT_SETTINGS, ...settings },
    compiler: { kind: 'missing', message: 'not used' },
    progress: (line) => void lines.push(line),
  };
}

const spec = (id: string, args: string[], goalSeconds = 30, boundSeconds = 30): ConformanceRunSpec => ({ id, label: id, args, goalSeconds, boundSeconds });

describe('registration', () => {
  it('is registered in the bench', () => {
    expect(SUITES.map((s) => s.id)).toContain('conformance-run');
  });
});

describe('classifyRep and judgeRun', () => {
  it('times a run only when every rep exited 0 with a summary', () => {
    const ok = classifyRep({ kind: 'exited', code: 0, stdout: PRINTED, stderr: '', ms: 4000 }, 3.5);
    expect(ok).toEqual({ kind: 'ok', seconds: 4, cpuSeconds: 3.5, summary });
    const slower = classifyRep({ kind: 'exited', code: 0, stdout: PRINTED, stderr: '', ms: 6000 }, 5);
    const row = judgeRun(spec('default', ['run'], 5), [ok, slower, ok], null);
    expect(row).toMatchObject({ seconds: 4, cpuSeconds: 3.5, summary, goal: { met: true } });
    expect(judgeRun(spec('default', ['run'], 3.9), [ok], null).goal.met).toBe(false);
  });

  it('does not time a run that exited non-zero, timed out or printed no summary', () => {
    const failed = classifyRep({ kind: 'exited', code: 1, stdout: `FAIL x\n${PRINTED.replace('2 pass, 1 not-applicable', '2 pass, 1 fail')}`, stderr: 'boom\n', ms: 1000 }, 1);
    expect(failed).toMatchObject({ kind: 'failed', exitCode: 1, seconds: 1, summary: { total: 3, byVerdict: { fail: 1 } }, failures: ['FAIL x'], stderr: 'boom' });
    const row = judgeRun(spec('deep', ['run']), [classifyRep({ kind: 'exited', code: 0, stdout: PRINTED, stderr: '', ms: 1000 }, 1), failed], 'rep 2 did not exit 0');
    expect(row).toMatchObject({ seconds: null, cpuSeconds: null, goal: { met: false }, summary: { total: 3 } });
    expect(classifyRep({ kind: 'timeout', stdout: '', stderr: '', ms: 30_000 }, null)).toMatchObject({ kind: 'timeout', seconds: 30 });
    expect(classifyRep({ kind: 'exited', code: 0, stdout: 'hello', stderr: '', ms: 10 }, 0)).toMatchObject({ kind: 'bad-output' });
    expect(judgeRun(spec('x', []), [], null).goal.met).toBe(false);
  });
});

describe('runConformance with a stand-in CLI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conformance-suite-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const fake = join(dir, 'fake-cli.mjs');
  // `run` passes after 0.3 s, `run --runs 7` fails, `run --sleep` hangs, `run --json` prints a report.
  await writeFile(
    fake,
    `const args = process.argv.slice(2);
if (args.includes('--sleep')) setTimeout(() => {}, 60000);
else if (args.includes('--json')) console.log(JSON.stringify({ results: [{ check: 'a.device.slow', area: 'a', durationMs: 250 }, { check: 'b.device.fast', area: 'b', durationMs: 50 }] }));
else if (args.includes('--runs')) { console.log('FAIL a.device.slow [x] pci/split: broken\\n3 results: 2 pass, 1 fail\\n2 passed, 1 failed, 0 skipped'); process.exitCode = 1; }
else { const t = Date.now(); while (Date.now() - t < 300) {} process.stdout.write(${JSON.stringify(PRINTED)}); }
`,
  );
  const cli = [process.execPath, fake];

  it('times passing runs over the reps, reports failing and hung ones untimed, and profiles a missed default goal', async () => {
    const lines: string[] = [];
    const outcome = await runConformance(context({ processes: 5 }, lines), {
      cli,
      runs: [spec('default', ['run'], 0.001), spec('deep', ['run', '--runs', '7']), spec('hung', ['run', '--sleep'], 30, 1)],
    });
    if (outcome.kind !== 'ok') throw new Error(outcome.message);
    const data = outcome.report.data as { rows: { id: string; seconds: number | null; cpuSeconds: number | null; reps: { kind: string }[]; summary: unknown; goalMet: boolean; stopped: string | null }[]; profiles: { id: string; checks?: { check: string; ms: number }[]; note: string | null }[] };
    const [dflt, deep, hung] = data.rows;
    // 0.3 s per rep is far over 3 × 0.001 s: one rep, then stop.
    expect(dflt).toMatchObject({ id: 'default', summary, goalMet: false, stopped: expect.stringMatching(/over 3× the goal/) });
    expect(dflt?.reps).toHaveLength(1);
    expect(dflt?.seconds).toBeGreaterThanOrEqual(0.3);
    if (process.platform === 'linux') expect(dflt?.cpuSeconds).toBeGreaterThanOrEqual(0.2);
    expect(deep).toMatchObject({ id: 'deep', seconds: null, goalMet: false, stopped: 'rep 1 did not exit 0', summary: { total: 3, failed: 1 } });
    expect(hung).toMatchObject({ id: 'hung', seconds: null, goalMet: false, reps: [{ kind: 'timeout' }] });
    // Both the default and the deep run missed and ran to the end; the hung one was killed, so it has no profile.
    expect(data.profiles.map((p) => p.id)).toEqual(['default', 'deep']);
    expect(data.profiles[0]?.checks?.map((c) => c.check)).toEqual(['a.device.slow', 'b.device.fast']);
    const cells = outcome.report.table.rows.map((r) => r[4]);
    expect(cells).toEqual(['exit 0', 'exit 1', 'killed at 1 s']);
    expect(outcome.report.table.rows[0]?.[5]).toBe('3 (2 pass, 1 not-applicable)');
    expect(outcome.report.notes.join('\n')).toMatch(/profile of the default run[\s\S]*a\.device\.slow/);
    expect(outcome.report.notes).toContain('  FAIL a.device.slow [x] pci/split: broken');
    expect(outcome.report.goals.map((g) => g.met)).toEqual([false, false, false]);
  }, 60_000);

  it('runs three reps and meets a goal the run is within; one rep with --quick (one process)', async () => {
    const three = await runConformance(context({ processes: 5 }), { cli, runs: [spec('default', ['run'], 30)] });
    if (three.kind !== 'ok') throw new Error(three.message);
    const row = (three.report.data as { rows: { reps: unknown[]; goalMet: boolean; seconds: number }[] }).rows[0];
    expect(row?.reps).toHaveLength(3);
    expect(row?.goalMet).toBe(true);
    expect((three.report.data as { profiles: unknown[] }).profiles).toEqual([]);
    const one = await runConformance(context({ processes: 1 }), { cli, runs: [spec('default', ['run'], 30)] });
    expect(one.kind === 'ok' && (one.report.data as { rows: { reps: unknown[] }[] }).rows[0]?.reps).toHaveLength(1);
  }, 60_000);
});

describe('runConformance with the real CLI', () => {
  const built = existsSync(join(root, 'dist/harness/cli/main.js'));
  it.skipIf(!built)('quick smoke: one small run, exit 0, the result count read from its summary', async () => {
    const outcome = await runConformance(context({ processes: 1 }), {
      runs: [spec('small', ['run', '--area', 'transport', '--transport', 'pci', '--ring', 'split', '--runs', '10'], 60, 120)],
    });
    if (outcome.kind !== 'ok') throw new Error(outcome.message);
    const row = (outcome.report.data as { rows: { seconds: number | null; summary: { total: number; byVerdict: Record<string, number> } | null; reps: { kind: string }[] }[] }).rows[0];
    expect(row?.reps.map((r) => r.kind)).toEqual(['ok']);
    expect(row?.seconds).toBeGreaterThan(0);
    expect(row?.summary?.total).toBeGreaterThan(0);
    expect(Object.values(row?.summary?.byVerdict ?? {}).reduce((s, n) => s + n, 0)).toBe(row?.summary?.total);
  }, 150_000);
});
