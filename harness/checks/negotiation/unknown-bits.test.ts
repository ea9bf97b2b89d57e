import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { FEATURES } from '../../../specs/features/feature-set.js';
import { refusesUnknownBits } from '../../mutants/negotiation/unknown-bits-mutants.js';
import { driverContext } from '../driver-context.js';
import { runCheck } from '../runner.js';
import { CONFIGURATIONS, runConfig, runDriverCheck } from './area-runs.js';
import { driverChecks } from './index.js';
import { driverToleratesUnknownBits, UNKNOWN_FEATURE_BITS } from './unknown-bits.js';

describe('negotiation.driver.tolerates-unknown-bits', () => {
  it('adds bits no spec revision defines, one of them above bit 63', () => {
    expect(UNKNOWN_FEATURE_BITS.length).toBeGreaterThan(0);
    for (const bit of UNKNOWN_FEATURE_BITS) expect(FEATURES.some((f) => f.bit === bit)).toBe(false);
    expect(UNKNOWN_FEATURE_BITS.some((bit) => bit >= 64)).toBe(true);
  });

  it.each(CONFIGURATIONS)('the reference driver passes ($transport, $ring)', async ({ transport, ring }) => {
    expect((await runDriverCheck(driverToleratesUnknownBits, runConfig(transport, ring))).verdict.kind).toBe('pass');
  });

  it.each(CONFIGURATIONS)('a driver refusing unknown bits fails ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const result = await runCheck(driverToleratesUnknownBits, refusesUnknownBits.id, config, driverContext(refusesUnknownBits.adapter, config));
    expect(result.verdict.kind, JSON.stringify(result.verdict)).toBe('fail');
    if (result.verdict.kind === 'fail') {
      expect(result.verdict.clause).toBe('features.driver.7');
      expect(result.verdict.observed).toMatch(/failed at open/);
    }
  });

  it('is registered, names a real driver clause at its level and is killed by its mutant', () => {
    expect(driverChecks).toContain(driverToleratesUnknownBits);
    const primary = catalog().get('features.driver.7');
    expect(primary?.role).toBe('driver');
    expect(primary?.level).toBe(driverToleratesUnknownBits.level);
    expect(refusesUnknownBits.killedBy).toEqual([driverToleratesUnknownBits.id]);
  });
});
