/**
 * The machine facts a benchmark result is meaningless without (ring-perf §1):
 * CPU model, core count, Node and gcc versions, date, and the load the
 * machine was under.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Facts about the machine and toolchain a benchmark ran on. */
export interface MachineFacts {
  /** `model name` from /proc/cpuinfo (a VM may hide the SKU), else Node's `os.cpus()` model. */
  readonly cpuModel: string;
  /** Processors available to this process (`nproc`). */
  readonly nproc: number;
  readonly arch: string;
  readonly platform: string;
  /** Kernel release. */
  readonly kernel: string;
  /** Total memory in GiB. */
  readonly memoryGiB: number;
  /** `process.version`. */
  readonly node: string;
  readonly v8: string;
  /** First line of `gcc --version`, or null when no C twin was built. */
  readonly gcc: string | null;
  /** `NODE_OPTIONS` the children inherited, or null. */
  readonly nodeOptions: string | null;
  /** ISO date and time the run started. */
  readonly date: string;
  /** 1-, 5- and 15-minute load averages when the run started (other work on the machine skews timings). */
  readonly loadAverage: readonly number[];
}

/** Reads the CPU model name from /proc/cpuinfo, or null off Linux. */
function cpuinfoModel(): string | null {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match?.[1]?.trim() ?? null;
  } catch {
    return null;
  }
}

/** Collects the {@link MachineFacts} now. */
export function machineFacts(gcc: string | null): MachineFacts {
  return {
    cpuModel: cpuinfoModel() ?? os.cpus()[0]?.model ?? 'unknown',
    nproc: os.availableParallelism(),
    arch: process.arch,
    platform: process.platform,
    kernel: os.release(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    gcc,
    nodeOptions: process.env.NODE_OPTIONS ?? null,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** One line for the terminal: `AMD EPYC, 2 CPUs, node v20.20.2, gcc 12.2.0, load 0.12`. */
export function describeMachine(m: MachineFacts): string {
  const gcc = m.gcc === null ? '' : `, ${m.gcc}`;
  const opts = m.nodeOptions === null ? '' : `, NODE_OPTIONS=${m.nodeOptions}`;
  return `${m.cpuModel}, ${m.nproc} CPUs, ${m.platform}/${m.arch} ${m.kernel}, node ${m.node}${gcc}${opts}, ${m.date}, load ${m.loadAverage.join(' ')}`;
}
