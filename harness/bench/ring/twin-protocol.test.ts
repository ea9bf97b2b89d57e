import { describe, expect, it } from 'vitest';
import { parseTwinOutput, twinArgs } from './twin-protocol.js';

const good = {
  lang: 'c',
  descriptors: 2,
  batch: 16,
  buffers: 4096,
  ns: [17.5, 18.25],
  cpuNs: [17.0, 18.0],
  checksums: { driver: 4294443008, device: 12, kicks: 256, irqs: 256 },
};

describe('parseTwinOutput', () => {
  it('takes the last line of stdout', () => {
    const parsed = parseTwinOutput(`noise\n${JSON.stringify(good)}\n`);
    expect(parsed).toEqual({ kind: 'ok', result: good });
  });

  it('refuses non-JSON, a wrong shape and out-of-range checksums', () => {
    expect(parseTwinOutput('Segmentation fault').kind).toBe('bad-output');
    expect(parseTwinOutput(JSON.stringify({ ...good, descriptors: 3 })).kind).toBe('bad-output');
    expect(parseTwinOutput(JSON.stringify({ ...good, ns: [] })).kind).toBe('bad-output');
    expect(parseTwinOutput(JSON.stringify({ ...good, checksums: { ...good.checksums, driver: 2 ** 32 } })).kind).toBe('bad-output');
  });
});

describe('twinArgs', () => {
  it('orders descriptors, batch, buffers, reps', () => {
    expect(twinArgs(1, 256, 2048, 5)).toEqual(['1', '256', '2048', '5']);
  });
});
