import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildC, probeCompiler } from '../c-build.js';
import { runChild } from '../child-process.js';
import { findRoot } from '../repo-root.js';
import { PackedRingWorkload } from './packed-workload.js';
import { configLabel, SPLIT_BENCH_CONFIGS, type SplitBenchConfig, type SplitChecksums } from './split-workload.js';
import { parseTwinOutput, twinArgs } from './twin-protocol.js';

function runTs(config: SplitBenchConfig, buffers: number): SplitChecksums {
  const w = new PackedRingWorkload(config);
  w.reset();
  const r = w.run(buffers);
  if (r.kind !== 'ok') throw new Error(`${r.step}: ${r.message}`);
  return r.checksums;
}

/** Σ (used len + token) over tokens 0..n−1, mod 2^32: what the driver checksum must be. */
function expectedDriverSum(config: SplitBenchConfig, n: number): number {
  const usedLen = config.descriptors === 1 ? 1526 : 0;
  return Number((BigInt(n) * BigInt(usedLen) + (BigInt(n) * BigInt(n - 1)) / 2n) % 2n ** 32n);
}

describe('PackedRingWorkload', () => {
  for (const config of SPLIT_BENCH_CONFIGS) {
    it(`${configLabel(config)}: every buffer completes with its token and len, one kick and one interrupt per batch, over many laps`, () => {
      // 70 144 buffers are 137 (1 descriptor) or 274 (2 descriptors) laps of the 512-slot ring: the wrap counters flip.
      const n = 274 * 256;
      const sums = runTs(config, n);
      expect(sums.driver).toBe(expectedDriverSum(config, n));
      expect(sums.kicks).toBe(n / config.batch);
      expect(sums.irqs).toBe(n / config.batch);
    });
  }

  it('gives the same checksums after reset, and different ones for a different run length', () => {
    const w = new PackedRingWorkload({ descriptors: 2, batch: 16 });
    w.reset();
    const a = w.run(4096);
    w.reset();
    const b = w.run(4096);
    w.reset();
    const c = w.run(4096 + 16);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('refuses a run that is not a whole number of batches, and batches the ring cannot hold', () => {
    const w = new PackedRingWorkload({ descriptors: 1, batch: 16 });
    w.reset();
    expect(w.run(17)).toMatchObject({ kind: 'run-error', step: 'setup' });
    expect(() => new PackedRingWorkload({ descriptors: 2, batch: 257 })).toThrow(RangeError);
    expect(() => new PackedRingWorkload({ descriptors: 1, batch: 0 })).toThrow(RangeError);
  });
});

describe('C twin (packed-twin.c) against the TypeScript engine', async () => {
  const compiler = await probeCompiler();
  let binary = '';
  beforeAll(async () => {
    if (compiler.kind !== 'found') return;
    const build = await buildC({ compiler, source: join(findRoot(), 'harness/bench/c/packed-twin.c'), outDir: join(findRoot(), '.bench-build'), flags: ['-O2'] });
    if (build.kind === 'build-failed') throw new Error(build.message);
    binary = build.binary;
  }, 120_000);

  for (const config of SPLIT_BENCH_CONFIGS) {
    it.skipIf(compiler.kind !== 'found')(`${configLabel(config)}: identical checksums over many laps`, async () => {
      const n = 274 * 256;
      const outcome = await runChild(binary, twinArgs(config.descriptors, config.batch, n, 2), { timeoutMs: 30_000 });
      expect(outcome).toMatchObject({ kind: 'exited', code: 0 });
      if (outcome.kind !== 'exited') return;
      const parsed = parseTwinOutput(outcome.stdout);
      if (parsed.kind !== 'ok') throw new Error(parsed.message);
      expect(parsed.result).toMatchObject({ lang: 'c', descriptors: config.descriptors, batch: config.batch, buffers: n });
      expect(parsed.result.ns).toHaveLength(2);
      expect(parsed.result.checksums).toEqual(runTs(config, n));
    });
  }

  it.skipIf(compiler.kind !== 'found')('rejects bad arguments with exit code 1', async () => {
    const outcome = await runChild(binary, ['3', '1', '256', '1'], { timeoutMs: 10_000 });
    expect(outcome).toMatchObject({ kind: 'exited', code: 1 });
  });
});
