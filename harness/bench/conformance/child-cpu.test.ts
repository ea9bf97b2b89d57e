import { describe, expect, it } from 'vitest';
import { runChild } from '../child-process.js';
import { childrenCpuSeconds, parseChildTimes } from './child-cpu.js';

describe('parseChildTimes', () => {
  it('reads cutime + cstime (fields 16 and 17) in USER_HZ ticks, even after a name with spaces and parentheses', () => {
    const fields = (name: string) => `4242 (${name}) S 1 4242 4242 0 -1 4194560 500 9000 0 3 120 30 250 75 20 0 1 0 123456 1000000 200`;
    expect(parseChildTimes(fields('node'))).toBe(3.25);
    expect(parseChildTimes(fields('a (b) c'))).toBe(3.25);
  });

  it('returns null for something else', () => {
    expect(parseChildTimes('no parenthesis here')).toBeNull();
    expect(parseChildTimes('1 (x) S 1 2')).toBeNull();
  });
});

describe('childrenCpuSeconds', () => {
  it.skipIf(process.platform !== 'linux')('grows by about the CPU time a finished child burned', async () => {
    const before = childrenCpuSeconds() as number;
    // The child spins until it has used 400 ms of CPU, however busy the machine is.
    const outcome = await runChild(process.execPath, ['-e', 'const c = process.cpuUsage(); while (process.cpuUsage(c).user < 400000) {}'], { timeoutMs: 60_000 });
    expect(outcome).toMatchObject({ kind: 'exited', code: 0 });
    const grown = (childrenCpuSeconds() as number) - before;
    expect(grown).toBeGreaterThanOrEqual(0.38);
    expect(grown).toBeLessThan(5);
  });
});
