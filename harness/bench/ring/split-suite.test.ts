import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRoot } from '../repo-root.js';
import type { BenchContext } from '../suite.js';
import { hashSources, meetsGoal, runSplitRing, SPLIT_GOAL, SPLIT_REALISTIC, TWIN_MIRRORS, twinDrift } from './split-suite.js';

describe('meetsGoal', () => {
  it('needs both the geometric mean and every single ratio within bounds', () => {
    expect(meetsGoal([1.8, 1.9, 2.0, 2.1, 1.7, 2.2], SPLIT_GOAL)).toBe(true);
    // Geometric mean under 2.0, but one configuration above 2.5.
    expect(meetsGoal([1.5, 1.5, 1.5, 1.5, 1.5, 2.6], SPLIT_GOAL)).toBe(false);
    // Every configuration under 2.5, geometric mean above 2.0.
    expect(meetsGoal([2.4, 2.4, 2.4, 2.4, 2.4, 2.4], SPLIT_GOAL)).toBe(false);
    expect(meetsGoal([2.4, 2.4, 2.4, 2.4, 2.4, 2.4], SPLIT_REALISTIC)).toBe(true);
    expect(meetsGoal([], SPLIT_GOAL)).toBe(false);
  });
});

describe('twinDrift', () => {
  it('names exactly the mirrored files whose content no longer hashes to TWIN_MIRRORS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twin-drift-'));
    try {
      const files = Object.keys(TWIN_MIRRORS);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        await mkdir(dirname(join(dir, f)), { recursive: true });
        await writeFile(join(dir, f), `content of ${f}\n`);
      }
      // Arbitrary content matches no recorded hash.
      expect(twinDrift(dir)).toEqual(files);
      // A byte-identical copy of the repository's files drifts exactly as the repository does.
      const root = findRoot();
      for (const f of files) await cp(join(root, f), join(dir, f));
      expect(twinDrift(dir)).toEqual(twinDrift(root));
      const hashes = hashSources(dir, files);
      for (const f of files) expect(hashes[f]).toMatch(/^[0-9a-f]{12}$/);
      await rm(join(dir, files[0] as string));
      expect(hashSources(dir, files)[files[0] as string]).toBe('missing');
      expect(twinDrift(dir)).toContain(files[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('runSplitRing', async () => {
  const root = findRoot();
  const built = existsSync(join(root, 'dist/harness/bench/ring/split-child.js'));

  it.skipIf(!built)('stops with checksum-mismatch, and no ratio, when the twin reports other checksums', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-twin-'));
    try {
      // A "twin" that answers with plausible timings but a wrong device checksum.
      const fake = join(dir, 'fake-twin.mjs');
      await writeFile(
        fake,
        `#!${process.execPath}
const [d, b, n, r] = process.argv.slice(2).map(Number);
const ns = Array.from({ length: r }, () => 20);
console.log(JSON.stringify({ lang: 'c', descriptors: d, batch: b, buffers: n, ns, cpuNs: ns,
  checksums: { driver: 0, device: 12345, kicks: n / b, irqs: n / b } }));
`,
      );
      await chmod(fake, 0o755);
      const lines: string[] = [];
      const ctx: BenchContext = {
        root,
        buildDir: join(dir, 'build'),
        settings: { processes: 1, reps: 1, buffers: 256, nodeFlags: [], cFlags: [], childTimeoutMs: 30_000 },
        compiler: { kind: 'missing', message: 'not used' },
        progress: (line) => void lines.push(line),
      };
      const outcome = await runSplitRing(ctx, fake);
      expect(outcome.kind).toBe('suite-error');
      if (outcome.kind === 'suite-error') {
        expect(outcome.code).toBe('checksum-mismatch');
        expect(outcome.message).toMatch(/1-desc b=1.*different work/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to run without gcc', async () => {
    const outcome = await runSplitRing({
      root: findRoot(),
      buildDir: join(tmpdir(), 'unused'),
      settings: { processes: 1, reps: 1, buffers: 256, nodeFlags: [], cFlags: [], childTimeoutMs: 1000 },
      compiler: { kind: 'missing', message: 'gcc is not usable; install gcc' },
      progress: () => {},
    });
    expect(outcome).toEqual({ kind: 'suite-error', code: 'toolchain-missing', message: 'gcc is not usable; install gcc' });
  });
});
