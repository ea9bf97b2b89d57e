import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../checks/context.js';
import { Trace } from '../checks/trace.js';
import { checkProperty, joinReplayPath, judgeOnce, scaledRuns, splitReplayPath, Undecided, undecided, violation } from './property.js';

const config: RunConfig = { transport: 'pci', ring: 'split', seed: 11, numRuns: 40, timeoutMs: 1000 };

/** Violates 'x.sum' once the running total passes 20: the shrunk list is as short as possible. */
class Add implements fc.Command<{ total: number }, object> {
  constructor(readonly n: number) {}
  check(): boolean {
    return true;
  }
  run(model: { total: number }): void {
    model.total += this.n;
    if (model.total > 20) violation('x.sum', `total ${model.total}`, 'at most 20');
  }
  toString(): string {
    return `add ${this.n}`;
  }
}

const adds = (replayPath?: string) =>
  fc.commands([fc.integer({ min: 1, max: 15 }).map((n) => new Add(n))], { maxCommands: 8, ...(replayPath === undefined ? {} : { replayPath }) });

const runAdds = async (cmds: Iterable<fc.Command<{ total: number }, object>>) => fc.modelRun(() => ({ model: { total: 0 }, real: {} }), cmds);

describe('checkProperty', () => {
  it('is met when every run passes', async () => {
    let runs = 0;
    expect(await checkProperty(config, fc.nat(10), async () => void runs++)).toEqual({ kind: 'met' });
    expect(runs).toBe(40);
  });

  it('reports a violation with its evidence, seed, path and shrunk counterexample, and replays it from the path', async () => {
    const body = async (n: number) => {
      if (n >= 17) violation('x.clause', `saw ${n}`, 'below 17');
    };
    const outcome = await checkProperty(config, fc.nat(1000), body);
    expect(outcome).toMatchObject({ kind: 'violated', clause: 'x.clause', observed: 'saw 17', expected: 'below 17', replay: { seed: 11, counterexample: '[17]' } });
    if (outcome.kind !== 'violated' || outcome.replay === undefined) throw new Error('no replay');
    expect(outcome.replay.path).toMatch(/^\d+(:\d+)*$/);
    const replayed = await checkProperty({ ...config, path: outcome.replay.path }, fc.nat(1000), body);
    expect(replayed).toEqual(outcome);
  });

  it('is inconclusive when every run is undecided, never met', async () => {
    const outcome = await checkProperty(config, fc.nat(10), async () => undecided('device refused'));
    expect(outcome).toEqual({ kind: 'inconclusive', reason: 'device refused' });
  });

  it('skips undecided runs by default but still reports a violation found in a decided one', async () => {
    const outcome = await checkProperty(config, fc.nat(100), async (n) => {
      if (n % 2 === 1) throw new Undecided('odd');
      if (n >= 40) violation('x.even', `saw ${n}`, 'below 40');
    });
    if (outcome.kind !== 'violated') throw new Error(`expected a violation, got ${outcome.kind}`);
    const seen = Number(/^saw (\d+)$/.exec(outcome.observed)?.[1]);
    expect(seen % 2).toBe(0);
    expect(seen).toBeGreaterThanOrEqual(40);
  });

  it('stops at the first undecided run when asked, and replays the shrunk run into the trace', async () => {
    const trace = new Trace();
    const outcome = await checkProperty(
      config,
      fc.nat(100),
      async (n) => {
        trace.record(`run ${n}`);
        if (n >= 5) undecided(`refused ${n}`);
      },
      { undecidedRuns: 'stop', trace },
    );
    expect(outcome).toEqual({ kind: 'inconclusive', reason: 'refused 5' });
    expect(trace.lines().slice(-2)).toEqual(['--- replay of the shrunk counterexample ---', 'run 5']);
  });

  it('lets a harness error through instead of calling it a violation', async () => {
    await expect(
      checkProperty(config, fc.nat(10), async () => {
        throw new TypeError('bug');
      }),
    ).rejects.toThrow('bug');
  });

  it('runs the examples first and scales the run count', async () => {
    const seen: number[] = [];
    await checkProperty(config, fc.nat(10), async (n) => void seen.push(n), { examples: [999, 998], scale: 4, minRuns: 3 });
    expect(seen.slice(0, 2)).toEqual([999, 998]);
    expect(seen).toHaveLength(10);
    expect(scaledRuns(config, 3)).toBe(14);
    expect(scaledRuns(config, 100)).toBe(5);
  });
});

describe('replay paths of fc.commands properties', () => {
  it('round-trip through "#": the reported path rebuilds the same shrunk command list', async () => {
    const outcome = await checkProperty(config, adds(), runAdds);
    expect(outcome).toMatchObject({ kind: 'violated', clause: 'x.sum', expected: 'at most 20' });
    if (outcome.kind !== 'violated' || outcome.replay === undefined) throw new Error('no replay');
    expect(outcome.replay.path).toContain('#');
    const { path, commands } = splitReplayPath(outcome.replay.path);
    expect(path).not.toContain('#');
    expect(joinReplayPath(path ?? '', commands)).toBe(outcome.replay.path);
    const replayed = await checkProperty({ ...config, path: outcome.replay.path }, adds(commands), runAdds);
    expect(replayed).toEqual(outcome);
  });

  it('splits off the commands part and leaves a plain path unchanged', () => {
    expect(splitReplayPath('3:1#AB:C')).toEqual({ path: '3:1', commands: 'AB:C' });
    expect(splitReplayPath('3:1')).toEqual({ path: '3:1', commands: undefined });
    expect(splitReplayPath(undefined)).toEqual({ path: undefined, commands: undefined });
  });
});

describe('judgeOnce', () => {
  it('maps a finding, an undecided step and a clean run to their outcomes', async () => {
    expect(await judgeOnce(async () => violation('y.1', 'saw it', 'not to'))).toEqual({ kind: 'violated', clause: 'y.1', observed: 'saw it', expected: 'not to' });
    expect(await judgeOnce(async () => undecided('no device'))).toEqual({ kind: 'inconclusive', reason: 'no device' });
    expect(await judgeOnce(async () => {})).toEqual({ kind: 'met' });
  });
});
