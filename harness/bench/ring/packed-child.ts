/**
 * Child-process entry of the TypeScript side of the packed-ring benchmark:
 * `node packed-child.js descriptors batch buffers reps`. The same protocol,
 * warm-up and timing as `split-child.ts`, on {@link PackedRingWorkload}:
 * prints one JSON line ({@link TwinResult}); exits 1 with a message on
 * stderr when the engine refuses a step or two reps disagree on the checksums.
 *
 * @module
 */

import { PackedRingWorkload } from './packed-workload.js';
import type { SplitChecksums } from './split-workload.js';
import type { TwinResult } from './twin-protocol.js';

/** Warm-up calls of one batch each (V8 allocates feedback after 8 calls of a function). */
const ONE_BATCH_CALLS = 32;
/** Then warm-up calls sharing a quarter of a rep (the C twin makes the same calls). */
const WARMUP_CALLS = 8;

function fail(message: string): never {
  process.stderr.write(`packed-child: ${message}\n`);
  process.exit(1);
}

function intArg(value: string | undefined, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function same(a: SplitChecksums, b: SplitChecksums): boolean {
  return a.driver === b.driver && a.device === b.device && a.kicks === b.kicks && a.irqs === b.irqs;
}

const [d, b, n, r] = process.argv.slice(2);
const descriptors = intArg(d, 'descriptors', 1);
if (descriptors !== 1 && descriptors !== 2) fail('descriptors must be 1 or 2');
const batch = intArg(b, 'batch', 1);
const buffers = intArg(n, 'buffers', batch);
const reps = intArg(r, 'reps', 1);
if (buffers % batch !== 0) fail(`buffers ${buffers} is not a multiple of batch ${batch}`);

const workload = new PackedRingWorkload({ descriptors, batch });
const warmup = Math.max(batch, Math.floor(buffers / WARMUP_CALLS / 4 / batch) * batch);
for (let i = 0; i < ONE_BATCH_CALLS + WARMUP_CALLS; i++) {
  workload.reset();
  const warm = workload.run(i < ONE_BATCH_CALLS ? batch : warmup);
  if (warm.kind !== 'ok') fail(`warm-up: ${warm.step}: ${warm.message}`);
}

const ns: number[] = [];
const cpuNs: number[] = [];
let checksums: SplitChecksums | undefined;
for (let rep = 0; rep < reps; rep++) {
  workload.reset();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = workload.run(buffers);
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage(c0);
  if (result.kind !== 'ok') fail(`rep ${rep}: ${result.step}: ${result.message}`);
  if (checksums !== undefined && !same(checksums, result.checksums)) {
    fail(`rep ${rep} checksums ${JSON.stringify(result.checksums)} differ from rep 0 ${JSON.stringify(checksums)}`);
  }
  checksums = result.checksums;
  ns.push(Number(t1 - t0) / buffers);
  cpuNs.push(((c1.user + c1.system) * 1000) / buffers);
}

const out: TwinResult = { lang: 'ts', descriptors, batch, buffers, ns, cpuNs, checksums: checksums as SplitChecksums };
process.stdout.write(`${JSON.stringify(out)}\n`);
