import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { deviceContext } from '../device-context.js';
import { runCheck } from '../runner.js';
import { liveOnFirstKick, silentNeedsReset } from '../../mutants/negotiation/status-mutants.js';
import { CONFIGURATIONS, runConfig, runDeviceCheck } from './area-runs.js';
import { idleBeforeDriverOk } from './before-driver-ok.js';
import { deviceChecks } from './index.js';
import { needsResetNotifies } from './needs-reset-notify.js';

const CHECKS = [needsResetNotifies, idleBeforeDriverOk] as const;
const PAIRS = [
  { check: needsResetNotifies, mutant: silentNeedsReset },
  { check: idleBeforeDriverOk, mutant: liveOnFirstKick },
] as const;

describe('status checks around DRIVER_OK against the reference device', () => {
  it.each(CONFIGURATIONS)('both pass ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const verdicts = await Promise.all(CHECKS.map(async (c) => [c.id, (await runDeviceCheck(c, config)).verdict.kind] as const));
    expect(Object.fromEntries(verdicts)).toEqual(Object.fromEntries(CHECKS.map((c) => [c.id, 'pass'])));
  });

  it('are registered in the area', () => {
    for (const c of CHECKS) expect(deviceChecks).toContain(c);
  });
});

describe('status mutants around DRIVER_OK', () => {
  for (const { check, mutant } of PAIRS) {
    it.each(CONFIGURATIONS)(`${mutant.id} fails ${check.id} ($transport, $ring)`, async ({ transport, ring }) => {
      const config = runConfig(transport, ring);
      const result = await runCheck(check, mutant.id, config, deviceContext(mutant.adapter, config));
      expect(result.verdict.kind, JSON.stringify(result.verdict)).toBe('fail');
      if (result.verdict.kind === 'fail') expect(result.verdict.clause).toBe(check.clauses[0]);
      expect(result.trace.length).toBeGreaterThan(0);
      expect(mutant.killedBy).toContain(check.id);
    });
  }

  it('a mutant of one clause leaves the other check passing', async () => {
    const config = runConfig('pci', 'split');
    expect((await runCheck(idleBeforeDriverOk, 'x', config, deviceContext(silentNeedsReset.adapter, config))).verdict.kind).toBe('pass');
    expect((await runCheck(needsResetNotifies, 'x', config, deviceContext(liveOnFirstKick.adapter, config))).verdict.kind).toBe('pass');
  });
});

describe('status check metadata', () => {
  const clauses = catalog();
  it.each(CHECKS.map((c) => [c.id, c] as const))('%s names a real device clause at its level', (_id, check) => {
    const primary = clauses.get(check.clauses[0]);
    expect(primary?.role).toBe('device');
    expect(primary?.level).toBe(check.level);
  });
});
