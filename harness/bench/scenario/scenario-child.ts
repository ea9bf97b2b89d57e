/**
 * Child-process entry of the scenario rows: `node scenario-child.js kind
 * runsPerRep reps`. Runs one property in a fresh process: a warm-up check
 * of half a rep, then `reps` timed checks of `runsPerRep` runs each (rep i
 * from seed `repSeed(i)`), and prints one JSON line ({@link ScenarioResult}).
 * Exits 1 with a message on stderr when the property fails.
 *
 * @module
 */

import { repSeed, type ScenarioResult, WARMUP_SEED } from './scenario-protocol.js';
import { runScenarioProperty, SCENARIO_KINDS, type ScenarioKind, type ScenarioWork } from './scenario-workloads.js';

function fail(message: string): never {
  process.stderr.write(`scenario-child: ${message}\n`);
  process.exit(1);
}

function intArg(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

const [k, n, r] = process.argv.slice(2);
if (!(SCENARIO_KINDS as readonly string[]).includes(k ?? '')) fail(`kind must be one of ${SCENARIO_KINDS.join(', ')}, got ${JSON.stringify(k)}`);
const kind = k as ScenarioKind;
const runsPerRep = intArg(n, 'runsPerRep');
const reps = intArg(r, 'reps');

const warm = runScenarioProperty(kind, Math.max(1, runsPerRep >> 1), WARMUP_SEED);
if (warm.kind !== 'ok') fail(`warm-up: ${warm.message}`);

const ms: number[] = [];
const cpuMs: number[] = [];
const work: ScenarioWork[] = [];
for (let rep = 0; rep < reps; rep++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = runScenarioProperty(kind, runsPerRep, repSeed(rep));
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  if (result.kind !== 'ok') fail(`rep ${rep}: ${result.message}`);
  if (result.work.runs !== runsPerRep) fail(`rep ${rep}: ${result.work.runs} runs instead of ${runsPerRep}`);
  ms.push(t1 - t0);
  cpuMs.push((c1.user + c1.system) / 1000);
  work.push(result.work);
}

const out: ScenarioResult = { kind, runsPerRep, ms, cpuMs, work };
process.stdout.write(`${JSON.stringify(out)}\n`);
