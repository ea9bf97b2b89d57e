/**
 * CPU time of finished child processes, for whole-process measurements: the
 * kernel adds a reaped child's user and system time (and that of its own
 * reaped children) to the parent's `cutime`/`cstime` in `/proc/self/stat`.
 * Read before and after one child, with no other child finishing in
 * between, the difference is that child's CPU time. Linux only.
 *
 * @module
 */

import { readFileSync } from 'node:fs';

/** Ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux for every architecture it exposes to user space). */
const USER_HZ = 100;

/**
 * Parses the `cutime` and `cstime` fields (16 and 17) of a `/proc/<pid>/stat`
 * line into seconds; null when the line is not one. The command name (field
 * 2) may contain spaces and parentheses, so fields are counted after its last ')'.
 */
export function parseChildTimes(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // Field 3 (state) is the first after the name; cutime and cstime are fields 16 and 17.
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isInteger(cutime) || !Number.isInteger(cstime)) return null;
  return (cutime + cstime) / USER_HZ;
}

/** CPU seconds of this process's reaped children so far; null off Linux. */
export function childrenCpuSeconds(): number | null {
  try {
    return parseChildTimes(readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return null;
  }
}
