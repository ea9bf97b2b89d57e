/**
 * Child-process entry of the TypeScript side of the split-ring benchmark:
 * `node split-child.js descriptors batch buffers reps`.
 *
 * Runs one configuration in a fresh process, so that V8 sees only this
 * configuration's call sites (ring-perf §3.1): a warm-up of 32 one-batch
 * calls and `buffers / 4` in 8 calls, then `reps` timed runs of `buffers`, each from a reset ring. Prints one
 * JSON line ({@link TwinResult}); exits 1 with a message on stderr when the
 * engine refuses a step or two reps disagree on the checksums.
 *
 * @module
 */

import { type SplitChecksums, SplitRingWorkload } from './split-workload.js';
import type { TwinResult } from './twin-protocol.js';

/**
 * Warm-up calls of one batch each. V8 allocates a function's feedback only after several calls
 * (`--invocation-count-for-feedback-allocation`, 8 on Node 20), so a few must come first.
 */
const ONE_BATCH_CALLS = 32;
/** Then warm-up calls sharing a quarter of a rep (the C twin makes the same calls). */
const WARMUP_CALLS = 8;

function fail(message: string): never {
  process.stderr.write(`split-child: ${message}\n`);
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

const workload = new SplitRingWorkload({ descriptors, batch });
// Warm-up: first a few one-batch calls, so that every path of `run` (its exit included) has type
// feedback before V8 optimises it, then a quarter of a rep in several calls.
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
