import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../checks/context.js';
import { checkProperty, splitReplayPath, Undecided, violation } from './property.js';

const config: RunConfig = { transport: 'pci', ring: 'split', seed: 7, numRuns: 50, timeoutMs: 1000 };

describe('checkProperty', () => {
  it('is met when no run finds a violation', async () => {
    expect(await checkProperty(config, fc.nat(10), async () => {})).toEqual({ kind: 'met' });
  });

  it('reports the shrunk counterexample with the evidence thrown for it, and replays it from seed and path', async () => {
    const body = async (n: number) => {
      if (n >= 17) violation('x.clause', `saw ${n}`, 'below 17');
    };
    const outcome = await checkProperty(config, fc.nat(1000), body);
    expect(outcome).toMatchObject({ kind: 'violated', clause: 'x.clause', observed: 'saw 17', expected: 'below 17', replay: { seed: 7, counterexample: '[17]' } });
    if (outcome.kind !== 'violated' || outcome.replay === undefined) throw new Error('no replay');
    const replayed = await checkProperty({ ...config, path: outcome.replay.path }, fc.nat(1000), body);
    expect(replayed).toMatchObject({ kind: 'violated', observed: 'saw 17' });
  });

  it('is inconclusive when no run could be judged, never met', async () => {
    const outcome = await checkProperty(config, fc.nat(10), async () => {
      throw new Undecided('device refused');
    });
    expect(outcome).toEqual({ kind: 'inconclusive', reason: 'device refused' });
  });

  it('lets a harness error through instead of calling it a violation', async () => {
    await expect(
      checkProperty(config, fc.nat(10), async () => {
        throw new TypeError('bug');
      }),
    ).rejects.toThrow('bug');
  });

  it('scales the run count down but not below the minimum', async () => {
    let runs = 0;
    await checkProperty(config, fc.nat(10), async () => void runs++, { scale: 10, minRuns: 3 });
    expect(runs).toBe(5);
    runs = 0;
    await checkProperty({ ...config, numRuns: 10 }, fc.nat(10), async () => void runs++, { scale: 10, minRuns: 3 });
    expect(runs).toBe(3);
  });

  it('splits a commands replay path off the fast-check path', () => {
    expect(splitReplayPath('3:1#AB:C')).toEqual({ path: '3:1', commands: 'AB:C' });
    expect(splitReplayPath('3:1')).toEqual({ path: '3:1', commands: undefined });
    expect(splitReplayPath(undefined)).toEqual({ path: undefined, commands: undefined });
  });
});
