/**
 * `npm run bench` (`node dist/harness/bench/main.js`): performance rows of
 * the reference implementation, each against a C twin doing identical work
 * where one exists. Not a test: it prints a table, states the goals and
 * whether they were met, and writes everything with the machine facts to
 * reports/bench.json.
 *
 * Exit codes: 0 the benchmark ran (goals met or not: see the output);
 * 1 a C twin and the TypeScript side computed different checksums (they
 * did different work, so no ratio is given); 3 usage error, gcc missing,
 * a build or child process failed.
 *
 * @module
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type CompilerProbe, probeCompiler } from './c-build.js';
import { killRunningChildren } from './child-process.js';
import { formatTable } from './format.js';
import { describeMachine, machineFacts } from './machine.js';
import { findRoot } from './repo-root.js';
import { conformanceRunSuite } from './conformance/conformance-suite.js';
import { packedRingSuite } from './ring/packed-suite.js';
import { splitRingSuite } from './ring/split-suite.js';
import { scenarioSuite } from './scenario/scenario-suite.js';
import type { BenchSettings, BenchSuite, SuiteOutcome } from './suite.js';

/** The registered suites, run in this order. Later issues append rows here. */
export const SUITES: readonly BenchSuite[] = [splitRingSuite, packedRingSuite, scenarioSuite, conformanceRunSuite];

/**
 * The V8 flag the CLI itself runs with (harness/cli/bin.js): the cumulative inlining budget, which
 * lets V8 inline the ring engine's pop/add paths (about 17% less TS time; the profile is in
 * harness/bench/README.md). The bench measures the TS side as the product runs it; `--stock` drops it.
 */
export const RUNTIME_V8_FLAGS = ['--max-inlined-bytecode-size-cumulative=5000'] as const;

/** V8 inlining limits ring-perf §3.3 measured (+10–20%); only with `--v8-inline`. */
export const V8_INLINE_FLAGS = ['--max-inlined-bytecode-size=2000', '--max-inlined-bytecode-size-cumulative=5000'] as const;

/** Default run size: about a minute on a 2-vCPU VM. */
export const DEFAULT_SETTINGS: BenchSettings = {
  processes: 5,
  reps: 5,
  buffers: 1 << 21,
  nodeFlags: [],
  cFlags: [],
  childTimeoutMs: 60_000,
};

/** Exit codes of the benchmark. */
export const BenchExit = { Ran: 0, ChecksumMismatch: 1, Error: 3 } as const;

const HELP = `Usage: npm run bench -- [options]      (node dist/harness/bench/main.js)

Measures the reference engine against C twins doing identical work (built with the machine's gcc),
property runs/s (ring scenarios, fc.commands) and the wall time of whole conformance runs, and
prints the figures and whether the goals are met. Results and machine facts go to
reports/bench.json.

Options:
  --only <ids>        run only these suites (${SUITES.map((s) => s.id).join(', ')})
  --processes <n>     fresh processes per configuration and language (default ${DEFAULT_SETTINGS.processes})
  --reps <n>          timed reps per process (default ${DEFAULT_SETTINGS.reps})
  --buffers <n>       buffers per rep, a multiple of 256 (default ${DEFAULT_SETTINGS.buffers}); scales the property runs per rep
  --quick             1 process × 3 reps × 262144 buffers (a smoke run; numbers are rough)
  --stock             run TS children on plain node (default: ${RUNTIME_V8_FLAGS.join(' ')}, as the CLI runs)
  --v8-inline         run TS children with ${V8_INLINE_FLAGS.join(' ')}
  --c-inline          build C twins with -DALLOW_INLINE (engine entry points may be inlined)
  --out <file>        report path (default reports/bench.json); '-' writes none
  --json              print the report as JSON on stdout (progress stays on stderr)
  -h, --help          this text

Exit codes: 0 ran (goals met or not), 1 C and TS checksums differ, 3 usage error, gcc missing,
build or child failure.`;

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${flag} must be a positive integer, got '${value}'`);
  return n;
}

/** Runs the benchmark with `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
  err: (text: string) => void = (text) => process.stderr.write(`${text}\n`),
): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        only: { type: 'string' },
        processes: { type: 'string' },
        reps: { type: 'string' },
        buffers: { type: 'string' },
        quick: { type: 'boolean' },
        'v8-inline': { type: 'boolean' },
        stock: { type: 'boolean' },
        'c-inline': { type: 'boolean' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    err(`bench: ${(error as Error).message}`);
    return BenchExit.Error;
  }
  if (values.help) {
    out(HELP);
    return BenchExit.Ran;
  }
  let settings: BenchSettings;
  let suites: readonly BenchSuite[];
  try {
    const base = values.quick ? { ...DEFAULT_SETTINGS, processes: 1, reps: 3, buffers: 1 << 18 } : DEFAULT_SETTINGS;
    settings = {
      ...base,
      processes: positiveInt('processes', values.processes, base.processes),
      reps: positiveInt('reps', values.reps, base.reps),
      buffers: positiveInt('buffers', values.buffers, base.buffers),
      nodeFlags: values['v8-inline'] ? [...V8_INLINE_FLAGS] : values.stock ? [] : [...RUNTIME_V8_FLAGS],
      cFlags: values['c-inline'] ? ['-DALLOW_INLINE'] : [],
    };
    if (settings.buffers % 256 !== 0) throw new RangeError(`--buffers must be a multiple of 256, got ${settings.buffers}`);
    const only = values.only?.split(',').map((s) => s.trim());
    const unknown = only?.filter((id) => !SUITES.some((s) => s.id === id)) ?? [];
    if (unknown.length > 0) throw new RangeError(`--only: unknown suite '${unknown.join(', ')}' (suites: ${SUITES.map((s) => s.id).join(', ')})`);
    suites = only === undefined ? SUITES : SUITES.filter((s) => only.includes(s.id));
  } catch (error) {
    err(`bench: ${(error as Error).message}`);
    return BenchExit.Error;
  }

  const root = findRoot();
  let compiler: CompilerProbe = { kind: 'missing', message: 'not needed' };
  if (suites.some((s) => s.needsCompiler)) {
    compiler = await probeCompiler();
    if (compiler.kind === 'missing') {
      err(`bench: ${compiler.message}`);
      return BenchExit.Error;
    }
  }
  const machine = machineFacts(compiler.kind === 'found' ? compiler.version : null);
  const progress = (line: string) => err(line);
  if (values.json) progress(`machine: ${describeMachine(machine)}`);
  const estimate = suites.reduce((sum, s) => sum + s.estimateSeconds(settings), 0);
  progress(`running ${suites.map((s) => s.id).join(', ')}: about ${Math.round(estimate)} s`);

  const started = performance.now();
  const results: { suite: BenchSuite; outcome: SuiteOutcome }[] = [];
  let exit: number = BenchExit.Ran;
  for (const suite of suites) {
    const outcome = await suite.run({ root, buildDir: join(root, '.bench-build'), settings, compiler, progress });
    results.push({ suite, outcome });
    if (outcome.kind === 'suite-error') {
      err(`bench: ${suite.id}: ${outcome.code}: ${outcome.message}`);
      exit = Math.max(exit, outcome.code === 'checksum-mismatch' ? BenchExit.ChecksumMismatch : BenchExit.Error);
    }
  }
  const seconds = (performance.now() - started) / 1000;

  const report = {
    tool: 'virtio-net-conformance bench',
    schema: 1,
    machine,
    loadAverageAtEnd: machineFacts(machine.gcc).loadAverage,
    settings,
    seconds: Math.round(seconds * 10) / 10,
    exitCode: exit,
    suites: results.map(({ suite, outcome }) =>
      outcome.kind === 'ok'
        ? { id: suite.id, title: outcome.report.title, status: 'ok', goals: outcome.report.goals, notes: outcome.report.notes, data: outcome.report.data }
        : { id: suite.id, title: suite.title, status: 'error', code: outcome.code, message: outcome.message },
    ),
  };
  const outPath = values.out ?? join(root, 'reports/bench.json');
  if (outPath !== '-') {
    const path = resolve(outPath);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
    progress(`report: ${path}`);
  }

  if (values.json) {
    out(JSON.stringify(report, null, 2));
    return exit;
  }
  out(`machine: ${describeMachine(machine)}`);
  for (const { outcome } of results) {
    if (outcome.kind !== 'ok') continue;
    out('');
    out(outcome.report.title);
    out(formatTable(outcome.report.table));
    for (const note of outcome.report.notes) out(note);
  }
  out('');
  out(`${seconds.toFixed(1)} s in total; load average at the end ${report.loadAverageAtEnd.join(' ')} (on ${machine.nproc} CPUs)`);
  return exit;
}

/** True when this module is the process entry (not imported by a test). */
function isEntry(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(resolve(script)).href;
}

if (isEntry()) {
  const stop = () => {
    killRunningChildren();
    process.exit(130);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
