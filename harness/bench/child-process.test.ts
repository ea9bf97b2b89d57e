import { describe, expect, it } from 'vitest';
import { describeFailure, killRunningChildren, runChild } from './child-process.js';

const node = process.execPath;

describe('runChild', () => {
  it('collects stdout, stderr and the exit code', async () => {
    const outcome = await runChild(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 4'], {
      timeoutMs: 20_000,
    });
    expect(outcome).toMatchObject({ kind: 'exited', code: 4, stdout: 'out', stderr: 'err' });
  });

  it('kills a child that outlives its bound, and reports a timeout', async () => {
    const started = performance.now();
    const outcome = await runChild(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 });
    expect(outcome.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(describeFailure('sleeper', outcome)).toMatch(/did not finish .* killed/);
  });

  it('reports a program that cannot be started instead of rejecting', async () => {
    const outcome = await runChild('/nonexistent/virtio-bench-no-such-program', [], { timeoutMs: 5_000 });
    expect(outcome).toMatchObject({ kind: 'spawn-error', code: 'ENOENT' });
    expect(describeFailure('ghost', outcome)).toMatch(/could not be started \(ENOENT\)/);
  });

  it('kills running children on request', async () => {
    const pending = runChild(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(killRunningChildren()).toBe(1);
    expect(await pending).toMatchObject({ kind: 'killed', signal: 'SIGKILL' });
    expect(killRunningChildren()).toBe(0);
  });
});
