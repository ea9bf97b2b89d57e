import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/load.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { configRangeMutants } from '../../mutants/negotiation/config-range-mutants.js';
import type { RunConfig } from '../context.js';
import { deviceContext } from '../device-context.js';
import { runCheck } from '../runner.js';
import { configRangeChecks } from './config-ranges.js';
import { deviceChecks } from './index.js';

const CONFIGS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));
const config = (transport: 'pci' | 'mmio', ring: 'split' | 'packed'): RunConfig => ({ transport, ring, seed: 0x5eed, numRuns: 100, timeoutMs: 20_000 });

describe('config field ranges', () => {
  it('the checks are registered in the negotiation area', () => {
    for (const check of configRangeChecks) expect(deviceChecks).toContain(check);
  });

  it.each(configRangeChecks.map((c) => [c.id, c] as const))('%s passes the reference device in all four configurations', async (_id, check) => {
    const device = referenceDeviceAdapter();
    const verdicts = [];
    for (const { transport, ring } of CONFIGS) {
      const cfg = config(transport, ring);
      verdicts.push((await runCheck(check, device.name, cfg, deviceContext(device, cfg))).verdict);
    }
    expect(verdicts).toEqual(CONFIGS.map(() => ({ kind: 'pass' })));
  });

  it.each(configRangeMutants.map((m) => [m.id, m] as const))('%s fails every check it names, in all four configurations', async (_id, mutant) => {
    for (const id of mutant.killedBy) {
      const check = configRangeChecks.find((c) => c.id === id);
      expect(check, id).toBeDefined();
      for (const { transport, ring } of CONFIGS) {
        const cfg = config(transport, ring);
        const verdict = (await runCheck(check!, mutant.adapter.name, cfg, deviceContext(mutant.adapter, cfg))).verdict;
        expect(verdict.kind, `${mutant.id} vs ${id} on ${transport}/${ring}: ${JSON.stringify(verdict)}`).toBe('fail');
      }
    }
  });

  it('every check is killed by one of these mutants', () => {
    const killed = new Set(configRangeMutants.flatMap((m) => m.killedBy));
    expect(configRangeChecks.map((c) => c.id).filter((id) => !killed.has(id))).toEqual([]);
  });

  it('names catalog clauses at the primary clause level', () => {
    const clauses = catalog();
    for (const check of configRangeChecks) {
      for (const id of check.clauses) expect(clauses.has(id), id).toBe(true);
      expect(check.level).toBe(clauses.get(check.clauses[0])?.level);
    }
  });
});
