import { describe, expect, it } from 'vitest';
import { parseScenarioOutput, repSeed, scenarioArgs, WARMUP_SEED } from './scenario-protocol.js';

const good = {
  kind: 'ring-observed',
  runsPerRep: 64,
  ms: [12.5, 11.9],
  cpuMs: [12, 11.5],
  work: [
    { runs: 64, units: 3200, minUnits: 50, maxUnits: 50 },
    { runs: 64, units: 3200, minUnits: 50, maxUnits: 50 },
  ],
};

describe('scenario child protocol', () => {
  it('parses the last line of stdout', () => {
    const r = parseScenarioOutput(`warming up\n${JSON.stringify(good)}\n`);
    expect(r).toEqual({ kind: 'ok', result: good });
  });

  it('refuses a line that is not JSON, an unknown kind, a non-positive time and misaligned arrays', () => {
    expect(parseScenarioOutput('oops')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/not a JSON line/) });
    expect(parseScenarioOutput(JSON.stringify({ ...good, kind: 'packed-scenario' }))).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/kind/) });
    expect(parseScenarioOutput(JSON.stringify({ ...good, ms: [0, 1] }))).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/ms/) });
    expect(parseScenarioOutput(JSON.stringify({ ...good, cpuMs: [1] }))).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/one of each per rep/) });
    expect(parseScenarioOutput(JSON.stringify({ ...good, work: [{ runs: 0, units: 0, minUnits: 0, maxUnits: 0 }, good.work[0]] }))).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/runs/) });
  });

  it('passes kind, runs per rep and reps in that order; warm-up and rep seeds differ', () => {
    expect(scenarioArgs('commands', 8192, 5)).toEqual(['commands', '8192', '5']);
    expect(new Set([WARMUP_SEED, repSeed(0), repSeed(1), repSeed(2)]).size).toBe(4);
  });
});
