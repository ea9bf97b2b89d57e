import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeCompiler } from '../c-build.js';
import { SUITES } from '../main.js';
import { findRoot } from '../repo-root.js';
import type { BenchContext } from '../suite.js';
import { PACKED_TWIN_MIRRORS, packedTwinDrift, runPackedRing } from './packed-suite.js';

const root = findRoot();
const built = existsSync(join(root, 'dist/harness/bench/ring/packed-child.js'));

function context(dir: string, buffers: number): BenchContext {
  return {
    root,
    buildDir: join(dir, 'build'),
    settings: { processes: 1, reps: 1, buffers, nodeFlags: [], cFlags: [], childTimeoutMs: 30_000 },
    compiler: { kind: 'missing', message: 'not used' },
    progress: () => {},
  };
}

describe('packedTwinDrift', () => {
  it('the suite is registered in the bench, after split-ring', () => {
    expect(SUITES.map((s) => s.id).slice(0, 2)).toEqual(['split-ring', 'packed-ring']);
  });

  it('names exactly the mirrored files whose content changed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packed-drift-'));
    try {
      const files = Object.keys(PACKED_TWIN_MIRRORS);
      for (const f of files) {
        await mkdir(dirname(join(dir, f)), { recursive: true });
        await cp(join(root, f), join(dir, f));
      }
      expect(packedTwinDrift(dir)).toEqual(packedTwinDrift(root));
      await writeFile(join(dir, files[0] as string), 'changed\n');
      expect(packedTwinDrift(dir)).toContain(files[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('runPackedRing', async () => {
  const compiler = await probeCompiler();

  it.skipIf(!built)('stops with checksum-mismatch, and no ratio, when the twin reports other checksums', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-packed-twin-'));
    try {
      const fake = join(dir, 'fake-twin.mjs');
      await writeFile(
        fake,
        `#!${process.execPath}
const [d, b, n, r] = process.argv.slice(2).map(Number);
const ns = Array.from({ length: r }, () => 20);
console.log(JSON.stringify({ lang: 'c', descriptors: d, batch: b, buffers: n, ns, cpuNs: ns,
  checksums: { driver: 1, device: 2, kicks: n / b, irqs: n / b } }));
`,
      );
      await chmod(fake, 0o755);
      const outcome = await runPackedRing(context(dir, 256), fake);
      expect(outcome).toMatchObject({ kind: 'suite-error', code: 'checksum-mismatch', message: expect.stringMatching(/1-desc b=1.*different work/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to run without gcc', async () => {
    const outcome = await runPackedRing(context(tmpdir(), 256));
    expect(outcome).toEqual({ kind: 'suite-error', code: 'toolchain-missing', message: 'not used' });
  });

  it.skipIf(!built || compiler.kind !== 'found')('quick smoke: six rows with identical checksums and a ratio each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packed-smoke-'));
    try {
      const outcome = await runPackedRing({ ...context(dir, 4096), compiler });
      if (outcome.kind !== 'ok') throw new Error(outcome.message);
      const data = outcome.report.data as { rows: { batch: number; ratio: number; tsNsPerBuffer: number; cNsPerBuffer: number; checksums: { kicks: number } }[] };
      expect(data.rows).toHaveLength(6);
      for (const row of data.rows) {
        expect(row.ratio).toBeCloseTo(row.tsNsPerBuffer / row.cNsPerBuffer, 9);
        expect(row.checksums.kicks).toBe(4096 / row.batch);
      }
      expect(outcome.report.goals).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
