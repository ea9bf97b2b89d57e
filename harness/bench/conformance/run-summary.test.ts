import { describe, expect, it } from 'vitest';
import { parseRunSummary, profileFromReport } from './run-summary.js';

describe('parseRunSummary', () => {
  it('reads the closing lines of a clean run', () => {
    expect(parseRunSummary('380 results: 334 pass, 46 not-applicable\n334 passed, 0 failed, 46 skipped\n')).toEqual({
      kind: 'ok',
      summary: { total: 380, byVerdict: { pass: 334, 'not-applicable': 46 }, passed: 334, failed: 0, skipped: 46 },
    });
  });

  it('skips failure lines and replay commands before the summary', () => {
    const out = [
      'FAIL ring.device.used-ring [split.used.device.1] pci/split: used.idx moved backwards',
      '  replay: virtio-net-conformance run --seed 1 --path 0:3',
      '12 results: 10 pass, 1 fail, 1 timed-out',
      '10 passed, 2 failed, 0 skipped',
    ].join('\n');
    expect(parseRunSummary(out)).toEqual({ kind: 'ok', summary: { total: 12, byVerdict: { pass: 10, fail: 1, 'timed-out': 1 }, passed: 10, failed: 2, skipped: 0 } });
  });

  it('reads an empty run', () => {
    expect(parseRunSummary('0 results: none\n0 passed, 0 failed, 0 skipped')).toMatchObject({ kind: 'ok', summary: { total: 0, byVerdict: {} } });
  });

  it('refuses output without the summary lines, or whose counts do not add up', () => {
    expect(parseRunSummary('virtio-net-conformance: the CLI is not built')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/no summary lines/) });
    expect(parseRunSummary('5 results: 3 pass, 1 fail\n3 passed, 1 failed, 0 skipped')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/add up to 4, not the 5/) });
    expect(parseRunSummary('5 results: lots\n3 passed, 1 failed, 0 skipped')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/'lots'/) });
  });
});

describe('profileFromReport', () => {
  it('sums durations by check and by area, slowest first', () => {
    const report = {
      results: [
        { check: 'ctrl.driver.a', area: 'ctrl', durationMs: 700 },
        { check: 'ring.device.b', area: 'ring', durationMs: 100 },
        { check: 'ctrl.driver.a', area: 'ctrl', durationMs: 500 },
        { check: 'ring.device.c', area: 'ring', durationMs: 150 },
      ],
    };
    expect(profileFromReport(JSON.stringify(report))).toEqual({
      kind: 'ok',
      profile: {
        totalMs: 1450,
        checks: [
          { check: 'ctrl.driver.a', ms: 1200, results: 2 },
          { check: 'ring.device.c', ms: 150, results: 1 },
          { check: 'ring.device.b', ms: 100, results: 1 },
        ],
        areas: [
          { area: 'ctrl', ms: 1200 },
          { area: 'ring', ms: 250 },
        ],
      },
    });
  });

  it('refuses what is not a report', () => {
    expect(profileFromReport('{"results": [')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/not JSON/) });
    expect(profileFromReport('{}')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/no results/) });
    expect(profileFromReport('{"results": [{"check": "x"}]}')).toMatchObject({ kind: 'bad-output', message: expect.stringMatching(/durationMs/) });
  });
});
