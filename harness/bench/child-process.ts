/**
 * Runs benchmark children (C twins, fresh Node processes, the compiler) with
 * a time bound. Every child is awaited; one that outlives its bound is
 * killed with SIGKILL, and {@link killRunningChildren} kills whatever is
 * still running when the benchmark itself is interrupted.
 *
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process';

/** How a child ended. */
export type ChildOutcome =
  | { readonly kind: 'exited'; readonly code: number; readonly stdout: string; readonly stderr: string; readonly ms: number }
  | { readonly kind: 'killed'; readonly signal: string; readonly stdout: string; readonly stderr: string; readonly ms: number }
  | { readonly kind: 'timeout'; readonly stdout: string; readonly stderr: string; readonly ms: number }
  | { readonly kind: 'spawn-error'; readonly code: string; readonly message: string };

/** Options of {@link runChild}. */
export interface ChildOptions {
  /** Wall-clock bound; the child is killed with SIGKILL after it. */
  readonly timeoutMs: number;
  /** Environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory. @default process.cwd() */
  readonly cwd?: string;
}

/** Output kept per stream; a child that prints more is cut off (the benchmark children print one line). */
const MAX_OUTPUT = 1 << 20;

const running = new Set<ChildProcess>();

/** Runs `file args…` and resolves when it has ended (never rejects). */
export function runChild(file: string, args: readonly string[], options: ChildOptions): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    } catch (error) {
      resolve({ kind: 'spawn-error', code: (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN', message: (error as Error).message });
      return;
    }
    running.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const settle = (outcome: ChildOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      running.delete(child);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) arrive here; a running child's errors end in 'close'.
      if (child.pid === undefined) settle({ kind: 'spawn-error', code: error.code ?? 'EUNKNOWN', message: error.message });
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      if (timedOut) settle({ kind: 'timeout', stdout, stderr, ms });
      else if (signal !== null) settle({ kind: 'killed', signal, stdout, stderr, ms });
      else settle({ kind: 'exited', code: code ?? 0, stdout, stderr, ms });
    });
  });
}

/** Kills (SIGKILL) every child started by {@link runChild} that is still running; returns how many. */
export function killRunningChildren(): number {
  let n = 0;
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) n++;
  }
  return n;
}

/** One line describing a failed child, for error messages. */
export function describeFailure(what: string, outcome: ChildOutcome): string {
  const tail = (s: string) => s.trim().split('\n').slice(-3).join(' | ');
  switch (outcome.kind) {
    case 'exited':
      return `${what} exited with code ${outcome.code}${outcome.stderr.trim() ? `: ${tail(outcome.stderr)}` : ''}`;
    case 'killed':
      return `${what} was killed by ${outcome.signal}${outcome.stderr.trim() ? `: ${tail(outcome.stderr)}` : ''}`;
    case 'timeout':
      return `${what} did not finish within its time bound (${Math.round(outcome.ms)} ms) and was killed`;
    case 'spawn-error':
      return `${what} could not be started (${outcome.code}): ${outcome.message}`;
  }
}
