/**
 * Every QEMU this process started and has not reaped yet, and the handlers that kill them when the
 * process goes away: on `exit` (also `process.exit()` from a failed test), on an uncaught exception
 * (observed through `uncaughtExceptionMonitor`, which does not change Node's behaviour), and on
 * SIGINT, SIGTERM and SIGHUP. Closing the qtest socket does not stop QEMU (qemu-qtest.md §7.13),
 * so without this a dying harness leaves QEMUs running.
 *
 * A signal handler must not swallow the signal: when no other listener is installed, it removes
 * itself and re-raises the signal so the process still dies of it, as it would have without us.
 *
 * A SIGKILLed harness runs no handler at all; the process manager covers that case with the
 * parent-death signal (`setpriv --pdeathsig`).
 *
 * @module
 */

import { rmSync } from 'node:fs';

interface LiveQemu {
  readonly pid: number;
  /** The private folder of its sockets, removed with it. */
  readonly dir: string;
}

const live = new Map<number, LiveQemu>();
let installed = false;

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAllSync(): void {
  for (const q of live.values()) {
    try {
      process.kill(q.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    try {
      rmSync(q.dir, { recursive: true, force: true });
    } catch {
      // Best effort: the process is going away.
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  process.on('uncaughtExceptionMonitor', killAllSync);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** Records a QEMU child; the returned function forgets it (after it was reaped). */
export function registerQemu(pid: number, dir: string): () => void {
  install();
  live.set(pid, { pid, dir });
  return () => {
    live.delete(pid);
  };
}

/** Pids of the QEMUs still registered. */
export function liveQemuPids(): readonly number[] {
  return [...live.keys()];
}

/** Kills every registered QEMU with SIGKILL and removes their folders; returns how many there were. */
export function killAllQemus(): number {
  const n = live.size;
  killAllSync();
  return n;
}
