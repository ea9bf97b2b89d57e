import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/load.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { deviceIgnoredFieldMutants } from '../../mutants/header/device-ignored-field-mutants.js';
import type { RunConfig } from '../context.js';
import { deviceContext } from '../device-context.js';
import { runCheck } from '../runner.js';
import { deviceChecks } from './index.js';
import { txCsumFieldsIgnored, txUnknownFlags } from './tx-ignored-fields.js';

const CHECKS = [txUnknownFlags, txCsumFieldsIgnored];
const CONFIGS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));
const config = (transport: 'pci' | 'mmio', ring: 'split' | 'packed'): RunConfig => ({ transport, ring, seed: 0x5eed, numRuns: 100, timeoutMs: 20_000 });

describe('transmit fields the device ignores', () => {
  it('the checks are registered in the header area', () => {
    for (const check of CHECKS) expect(deviceChecks).toContain(check);
  });

  it.each(CHECKS.map((c) => [c.id, c] as const))('%s passes the reference device in all four configurations', async (_id, check) => {
    const device = referenceDeviceAdapter();
    const verdicts = [];
    for (const { transport, ring } of CONFIGS) {
      const cfg = config(transport, ring);
      verdicts.push((await runCheck(check, device.name, cfg, deviceContext(device, cfg))).verdict);
    }
    expect(verdicts).toEqual(CONFIGS.map(() => ({ kind: 'pass' })));
  });

  it.each(deviceIgnoredFieldMutants.map((m) => [m.id, m] as const))('%s fails every check it names, in all four configurations', async (_id, mutant) => {
    for (const id of mutant.killedBy) {
      const check = CHECKS.find((c) => c.id === id);
      expect(check, id).toBeDefined();
      for (const { transport, ring } of CONFIGS) {
        const cfg = config(transport, ring);
        const verdict = (await runCheck(check!, mutant.adapter.name, cfg, deviceContext(mutant.adapter, cfg))).verdict;
        expect(verdict.kind, `${mutant.id} vs ${id} on ${transport}/${ring}: ${JSON.stringify(verdict)}`).toBe('fail');
      }
    }
  });

  it('names catalog clauses at the primary clause level', () => {
    const clauses = catalog();
    for (const check of CHECKS) {
      for (const id of check.clauses) expect(clauses.has(id), id).toBe(true);
      expect(check.level).toBe(clauses.get(check.clauses[0])?.level);
    }
  });
});
