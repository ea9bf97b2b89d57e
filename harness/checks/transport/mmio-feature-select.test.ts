import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import { mmioCachedDriverFeaturesSelector, mmioCachedFeatureSelectors } from '../../mutants/transport/feature-select-mutants.js';
import type { RingKind, TransportKind } from '../check.js';
import type { RunConfig } from '../context.js';
import { driverContext } from '../driver-context.js';
import { runCheck } from '../runner.js';
import { driverChecks } from './index.js';
import { driverMmioFeatureSelect } from './mmio-feature-select.js';

const config = (transport: TransportKind, ring: RingKind): RunConfig => ({ transport, ring, seed: 42, numRuns: 100, timeoutMs: 10_000 });
const CONFIGURATIONS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));

describe('transport.driver.mmio-feature-select', () => {
  const reference = referenceDriverAdapter();

  it.each(CONFIGURATIONS)('the reference driver: pass on MMIO, not-applicable on PCI ($transport, $ring)', async ({ transport, ring }) => {
    const c = config(transport, ring);
    const result = await runCheck(driverMmioFeatureSelect, reference.name, c, driverContext(reference, c));
    expect(result.verdict.kind).toBe(transport === 'mmio' ? 'pass' : 'not-applicable');
  });

  it.each(['split', 'packed'] as const)('a driver caching the selectors fails (mmio, %s)', async (ring) => {
    const c = config('mmio', ring);
    const result = await runCheck(driverMmioFeatureSelect, mmioCachedFeatureSelectors.id, c, driverContext(mmioCachedFeatureSelectors.adapter, c));
    expect(result.verdict.kind, JSON.stringify(result.verdict)).toBe('fail');
    if (result.verdict.kind === 'fail') {
      expect(driverMmioFeatureSelect.clauses).toContain(result.verdict.clause);
      expect(result.verdict.observed).toMatch(/with no (DeviceFeatures|DriverFeatures)Sel write/);
    }
  });

  it.each(['split', 'packed'] as const)('a driver caching DriverFeaturesSel alone fails on mmio.reg.driver.13 (mmio, %s)', async (ring) => {
    const c = config('mmio', ring);
    const result = await runCheck(driverMmioFeatureSelect, mmioCachedDriverFeaturesSelector.id, c, driverContext(mmioCachedDriverFeaturesSelector.adapter, c));
    expect(result.verdict.kind, JSON.stringify(result.verdict)).toBe('fail');
    if (result.verdict.kind === 'fail') expect(result.verdict.clause).toBe('mmio.reg.driver.13');
  });

  it('is registered and names real MMIO driver clauses at the primary level', () => {
    expect(driverChecks).toContain(driverMmioFeatureSelect);
    const clauses = catalog();
    for (const id of driverMmioFeatureSelect.clauses) expect(clauses.get(id)?.role, id).toBe('driver');
    expect(clauses.get(driverMmioFeatureSelect.clauses[0])?.level).toBe(driverMmioFeatureSelect.level);
    expect(mmioCachedFeatureSelectors.killedBy).toEqual([driverMmioFeatureSelect.id]);
  });
});
