/**
 * What one group of benchmark rows ("suite") looks like to the entry point.
 * `npm run bench` runs the registered suites in order; a later row group
 * (packed ring, scenario runs/s, whole-run times) is one more
 * {@link BenchSuite} added to the registry in `main.ts`.
 *
 * @module
 */

import type { CompilerProbe } from './c-build.js';
import type { TextTable } from './format.js';

/** Run-size settings shared by every suite. */
export interface BenchSettings {
  /** Fresh processes per configuration and language. */
  readonly processes: number;
  /** Timed reps per process. */
  readonly reps: number;
  /** Buffers (or iterations) per timed rep. */
  readonly buffers: number;
  /** Extra `node` flags for TypeScript children (e.g. V8 inlining limits); empty for stock node. */
  readonly nodeFlags: readonly string[];
  /** Extra gcc flags after `-O2` for C twins (e.g. `-DALLOW_INLINE`). */
  readonly cFlags: readonly string[];
  /** Wall-clock bound per child process, in ms. */
  readonly childTimeoutMs: number;
}

/** What a suite gets from the entry point. */
export interface BenchContext {
  /** Repository root (holds package.json, harness/, dist/). */
  readonly root: string;
  /** Gitignored folder for C binaries. */
  readonly buildDir: string;
  readonly settings: BenchSettings;
  /** gcc, when a selected suite needs it (the entry point stops before running when it is missing). */
  readonly compiler: CompilerProbe;
  /** Progress output (stderr), one line per call. */
  readonly progress: (line: string) => void;
}

/** A stated performance goal and whether the run met it. */
export interface BenchGoal {
  readonly text: string;
  readonly met: boolean;
}

/** What a suite produced. */
export interface SuiteReport {
  readonly id: string;
  readonly title: string;
  /** The rows for the terminal. */
  readonly table: TextTable;
  /** Lines printed under the table (summary values, goals). */
  readonly notes: readonly string[];
  readonly goals: readonly BenchGoal[];
  /** Everything measured, for reports/bench.json. */
  readonly data: unknown;
}

/**
 * Why a suite could not produce numbers. `checksum-mismatch` means the two
 * sides did different work, so no ratio is meaningful.
 */
export type SuiteErrorCode = 'checksum-mismatch' | 'toolchain-missing' | 'build-failed' | 'child-failed';

/** Outcome of {@link BenchSuite.run}. */
export type SuiteOutcome =
  | { readonly kind: 'ok'; readonly report: SuiteReport }
  | { readonly kind: 'suite-error'; readonly code: SuiteErrorCode; readonly message: string };

/** A group of benchmark rows. */
export interface BenchSuite {
  /** Stable id, used by `--only` and in reports/bench.json. */
  readonly id: string;
  readonly title: string;
  /** True when the suite builds a C twin (gcc is then required). */
  readonly needsCompiler: boolean;
  /** Rough wall time at the given settings, in seconds (printed before running). */
  estimateSeconds(settings: BenchSettings): number;
  run(context: BenchContext): Promise<SuiteOutcome>;
}
