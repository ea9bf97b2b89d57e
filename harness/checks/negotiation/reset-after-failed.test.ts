import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { continuesAfterRefusal, retriesWithoutReset } from '../../mutants/negotiation/failed-mutants.js';
import { driverContext } from '../driver-context.js';
import { runCheck } from '../runner.js';
import { CONFIGURATIONS, runConfig, runDriverCheck } from './area-runs.js';
import { driverChecks } from './index.js';
import { driverFailsOnRefusal } from './refusal-fails.js';
import { driverResetsAfterFailed } from './reset-after-failed.js';

describe('negotiation.driver.resets-after-failed', () => {
  it.each(CONFIGURATIONS)('the reference driver passes ($transport, $ring)', async ({ transport, ring }) => {
    expect((await runDriverCheck(driverResetsAfterFailed, runConfig(transport, ring))).verdict.kind).toBe('pass');
  });

  it.each(CONFIGURATIONS)('a driver retrying without a reset fails ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const result = await runCheck(driverResetsAfterFailed, retriesWithoutReset.id, config, driverContext(retriesWithoutReset.adapter, config));
    expect(result.verdict.kind, JSON.stringify(result.verdict)).toBe('fail');
    if (result.verdict.kind === 'fail') {
      expect(result.verdict.clause).toBe('status.driver.3');
      expect(result.verdict.observed).toMatch(/next status write was 0x01 ACKNOWLEDGE,/);
    }
  });

  it('is registered and names a real driver clause at its level', () => {
    expect(driverChecks).toContain(driverResetsAfterFailed);
    const primary = catalog().get('status.driver.3');
    expect(primary?.role).toBe('driver');
    expect(primary?.level).toBe(driverResetsAfterFailed.level);
    expect(retriesWithoutReset.killedBy).toEqual([driverResetsAfterFailed.id]);
  });
});

describe('negotiation.driver.fails-on-refusal', () => {
  it.each(CONFIGURATIONS)('the reference driver passes ($transport, $ring)', async ({ transport, ring }) => {
    expect((await runDriverCheck(driverFailsOnRefusal, runConfig(transport, ring))).verdict.kind).toBe('pass');
  });

  it.each(CONFIGURATIONS)('a driver that ignores the refusal fails ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const result = await runCheck(driverFailsOnRefusal, continuesAfterRefusal.id, config, driverContext(continuesAfterRefusal.adapter, config));
    expect(result.verdict.kind, JSON.stringify(result.verdict)).toBe('fail');
    if (result.verdict.kind === 'fail') {
      expect(result.verdict.clause).toBe('features.driver.6');
      expect(result.verdict.observed).toMatch(/FEATURES_OK read back clear, then the driver (enabled|notified|wrote)/);
    }
  });

  it('is registered and names a real driver clause at its level', () => {
    expect(driverChecks).toContain(driverFailsOnRefusal);
    expect(catalog().get('features.driver.6')?.level).toBe(driverFailsOnRefusal.level);
    expect(continuesAfterRefusal.killedBy).toEqual([driverFailsOnRefusal.id]);
  });
});
