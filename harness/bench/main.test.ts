import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeCompiler } from './c-build.js';
import { BenchExit, main, SUITES } from './main.js';
import { findRoot } from './repo-root.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (t: string) => void out.push(t), e: (t: string) => void err.push(t) };
}

describe('bench main: arguments', () => {
  it('prints help and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.o, c.e)).toBe(BenchExit.Ran);
    expect(c.out.join('\n')).toMatch(/--only <ids>[\s\S]*split-ring[\s\S]*Exit codes/);
  });

  it('exits 3 on an unknown flag, an unknown suite, or a bad number', async () => {
    for (const args of [['--frobnicate'], ['--only', 'packed-ring-nope'], ['--reps', '0'], ['--buffers', '1000']]) {
      const c = capture();
      expect(await main(args, c.o, c.e)).toBe(BenchExit.Error);
      expect(c.err.join('\n')).toMatch(/^bench: /);
    }
  });

  it('exits 3 and says how to install gcc when gcc is missing', async () => {
    const saved = process.env.PATH;
    const empty = await mkdtemp(join(tmpdir(), 'bench-no-gcc-'));
    process.env.PATH = empty;
    try {
      const c = capture();
      expect(await main(['--quick', '--out', '-'], c.o, c.e)).toBe(BenchExit.Error);
      expect(c.err.join('\n')).toMatch(/gcc.*apt-get install gcc/);
    } finally {
      process.env.PATH = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('registers the split-ring suite', () => {
    expect(SUITES.map((s) => s.id)).toContain('split-ring');
  });
});

describe('bench main: a tiny end-to-end run', async () => {
  const compiler = await probeCompiler();
  const built = existsSync(join(findRoot(), 'dist/harness/bench/ring/split-child.js'));
  const dir = await mkdtemp(join(tmpdir(), 'bench-main-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(compiler.kind !== 'found' || !built)('writes a report with the machine facts and six checked rows', async () => {
    const c = capture();
    const path = join(dir, 'bench.json');
    const code = await main(['--only', 'split-ring', '--processes', '1', '--reps', '1', '--buffers', '4096', '--out', path, '--json'], c.o, c.e);
    expect(code).toBe(BenchExit.Ran);
    const report = JSON.parse(await readFile(path, 'utf8'));
    expect(JSON.parse(c.out.join('\n'))).toEqual(report);
    expect(report.machine).toMatchObject({ nproc: expect.any(Number), node: process.version, gcc: expect.stringMatching(/\S/) });
    expect(report.machine.cpuModel).toMatch(/\S/);
    expect(Date.parse(report.machine.date)).not.toBeNaN();
    const [split] = report.suites;
    expect(split).toMatchObject({ id: 'split-ring', status: 'ok' });
    expect(split.data.rows).toHaveLength(6);
    for (const row of split.data.rows) {
      expect(row.c.reps).toHaveLength(1);
      expect(row.ts.reps).toHaveLength(1);
      expect(row.ratio).toBeCloseTo(row.tsNsPerBuffer / row.cNsPerBuffer, 9);
      expect(row.checksums.kicks).toBe(4096 / row.batch);
    }
    expect(split.goals).toHaveLength(3);
  }, 60_000);
});
