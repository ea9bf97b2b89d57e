/**
 * Builds the benchmark's C twins with the machine's gcc, into a gitignored
 * build folder (`.bench-build/` at the repository root).
 *
 * A binary is named after a hash of its source, the headers beside it, the
 * flags and the compiler version, so an unchanged twin is not rebuilt and a
 * changed one never runs stale.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { type ChildOutcome, describeFailure, runChild } from './child-process.js';

/** The compiler the twins are built with. */
export const C_COMPILER = 'gcc';

/** How to get gcc, printed when it is missing. */
export const GCC_INSTALL_HINT =
  'install gcc and run again: Debian/Ubuntu `sudo apt-get install gcc`, Fedora/RHEL `sudo dnf install gcc`, ' +
  'Alpine `apk add gcc musl-dev`, macOS `xcode-select --install`';

/** Result of {@link probeCompiler}. */
export type CompilerProbe =
  | { readonly kind: 'found'; readonly command: string; readonly version: string }
  | { readonly kind: 'missing'; readonly message: string };

/** Runs `gcc --version`; `found` carries its first line. */
export async function probeCompiler(command = C_COMPILER): Promise<CompilerProbe> {
  const outcome = await runChild(command, ['--version'], { timeoutMs: 10_000 });
  if (outcome.kind === 'exited' && outcome.code === 0) {
    return { kind: 'found', command, version: outcome.stdout.split('\n')[0]?.trim() ?? '' };
  }
  return { kind: 'missing', message: `${command} is not usable (${describeFailure(`${command} --version`, outcome)}); ${GCC_INSTALL_HINT}` };
}

/** What to build. */
export interface CBuildRequest {
  /** The compiler found by {@link probeCompiler}. */
  readonly compiler: Extract<CompilerProbe, { kind: 'found' }>;
  /** The C source file. */
  readonly source: string;
  /** Folder for binaries (created when missing). */
  readonly outDir: string;
  /** Flags before `-o`, e.g. `['-O2']`. */
  readonly flags: readonly string[];
}

/** Result of {@link buildC}. */
export type CBuildOutcome =
  | { readonly kind: 'built' | 'cached'; readonly binary: string; readonly command: readonly string[] }
  | { readonly kind: 'build-failed'; readonly message: string };

/** Compiles `source` unless a binary for the same source, flags and compiler already exists. */
export async function buildC(request: CBuildRequest): Promise<CBuildOutcome> {
  const hash = createHash('sha256');
  try {
    const folder = dirname(request.source);
    const headers = (await readdir(folder)).filter((f) => f.endsWith('.h')).sort();
    for (const file of [request.source, ...headers.map((h) => join(folder, h))]) {
      hash.update(basename(file)).update('\0').update(await readFile(file)).update('\0');
    }
  } catch (error) {
    return { kind: 'build-failed', message: `cannot read ${request.source} and its headers: ${(error as Error).message}` };
  }
  const key = hash
    .update(request.flags.join(' '))
    .update('\0')
    .update(request.compiler.version)
    .digest('hex')
    .slice(0, 12);
  const binary = join(request.outDir, `${basename(request.source, extname(request.source))}-${key}`);
  const command = [request.compiler.command, ...request.flags, '-o', binary, request.source];
  if (await isFile(binary)) return { kind: 'cached', binary, command };
  await mkdir(request.outDir, { recursive: true });
  // Build under a temporary name and rename, so an interrupted build never leaves a usable-looking binary.
  const temp = `${binary}.tmp${process.pid}`;
  const outcome: ChildOutcome = await runChild(request.compiler.command, [...request.flags, '-o', temp, request.source], {
    timeoutMs: 120_000,
  });
  if (outcome.kind !== 'exited' || outcome.code !== 0) {
    await rm(temp, { force: true });
    return { kind: 'build-failed', message: describeFailure(command.join(' '), outcome) };
  }
  await rename(temp, binary);
  return { kind: 'built', binary, command };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
