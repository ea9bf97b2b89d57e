import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../checks/context.js';
import { NotApplicable } from '../../checks/context.js';
import { checkProperty, OK, scaledRuns, violation } from './property.js';

const CONFIG: RunConfig = { transport: 'pci', ring: 'split', seed: 42, numRuns: 100, timeoutMs: 1000 };

describe('checkProperty', () => {
  it('is met when every run is fine', async () => {
    expect(await checkProperty(CONFIG, 20, fc.integer(), async () => OK)).toEqual({ kind: 'met' });
  });

  it('reports the shrunk counterexample with what replays it', async () => {
    const outcome = await checkProperty(CONFIG, 50, fc.integer({ min: 0, max: 1000 }), async (n) => (n >= 10 ? violation('c.1', `saw ${n}`, 'below 10') : OK));
    expect(outcome).toMatchObject({ kind: 'violated', clause: 'c.1', observed: 'saw 10', expected: 'below 10', replay: { seed: 42, counterexample: '[10]' } });
    if (outcome.kind !== 'violated' || outcome.replay === undefined) return;
    // The path replays the shrunk counterexample on its own.
    const seen: number[] = [];
    const replayed = await checkProperty({ ...CONFIG, path: outcome.replay.path }, 50, fc.integer({ min: 0, max: 1000 }), async (n) => {
      seen.push(n);
      return n >= 10 ? violation('c.1', `saw ${n}`, 'below 10') : OK;
    });
    expect(seen[0]).toBe(10);
    expect(replayed).toMatchObject({ kind: 'violated', observed: 'saw 10' });
  });

  it('is inconclusive when every run was skipped, never met', async () => {
    expect(await checkProperty(CONFIG, 10, fc.integer(), async () => ({ kind: 'skip', reason: 'refused' }))).toEqual({
      kind: 'inconclusive',
      reason: 'every run was skipped: refused',
    });
  });

  it('passes a throw on to the runner', async () => {
    await expect(
      checkProperty(CONFIG, 10, fc.integer(), async () => {
        throw new NotApplicable('no such feature');
      }),
    ).rejects.toBeInstanceOf(NotApplicable);
  });

  it('scales runs down with a floor', () => {
    expect(scaledRuns(CONFIG)).toBe(10);
    expect(scaledRuns({ ...CONFIG, numRuns: 20 })).toBe(5);
    expect(scaledRuns({ ...CONFIG, numRuns: 100 }, 20, 4)).toBe(5);
  });
});
