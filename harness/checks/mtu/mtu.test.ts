import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { mutants } from '../../mutants/mtu/index.js';
import { type AreaCheck, CONFIGURATIONS, killingVerdict, runAgainstMutant, runConfig, runDeviceCheck, runDriverCheck } from '../negotiation/area-runs.js';
import { deviceChecks, driverChecks } from './index.js';

const ALL: readonly AreaCheck[] = [...deviceChecks.map((check) => ({ role: 'device' as const, check })), ...driverChecks.map((check) => ({ role: 'driver' as const, check }))];

describe('mtu checks against the references', () => {
  // Every mtu check applies to the references in all four configurations: the reference device offers F_MTU on request.
  it.each(CONFIGURATIONS)('the reference device passes every device-side check ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const verdicts: Record<string, string> = {};
    for (const check of deviceChecks) verdicts[check.id] = (await runDeviceCheck(check, config)).verdict.kind;
    expect(verdicts).toEqual(Object.fromEntries(deviceChecks.map((c) => [c.id, 'pass'])));
  });

  it.each(CONFIGURATIONS)('the reference driver passes every driver-side check ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const verdicts: Record<string, string> = {};
    for (const check of driverChecks) verdicts[check.id] = (await runDriverCheck(check, config)).verdict.kind;
    expect(verdicts).toEqual(Object.fromEntries(driverChecks.map((c) => [c.id, 'pass'])));
  });
});

describe('mtu mutants', () => {
  const byId = new Map(ALL.map((c) => [c.check.id, c]));

  it.each(mutants.map((m) => [m.id, m] as const))('%s is caught by every check in its killedBy', async (_id, mutant) => {
    for (const id of mutant.killedBy) {
      const target = byId.get(id);
      expect(target, `${mutant.id} names unknown check ${id}`).toBeDefined();
      if (target === undefined) continue;
      const result = await runAgainstMutant(mutant, target);
      expect(result.verdict.kind, `${id} on ${mutant.id}: ${JSON.stringify(result.verdict)}`).toBe(killingVerdict(target.check));
      if (result.verdict.kind === 'fail' || result.verdict.kind === 'non-strict') expect(target.check.clauses).toContain(result.verdict.clause);
    }
  });

  it('every check is in some mutant killedBy list, and every mutant judges its own side', () => {
    const killed = new Set(mutants.flatMap((m) => m.killedBy));
    for (const { check } of ALL) expect(killed.has(check.id), `${check.id} has no mutant`).toBe(true);
    for (const m of mutants) for (const id of m.killedBy) expect(byId.get(id)?.role, `${m.id} -> ${id}`).toBe(m.role);
    for (const m of mutants) expect(m.id).toMatch(new RegExp(`^${m.role}\\.mtu\\.[a-z0-9-]+$`));
  });
});

describe('mtu check metadata', () => {
  const clauses = catalog();

  it.each(ALL.map((c) => [c.check.id, c] as const))('%s names real clauses of its role, at the primary clause level', (_id, { check, role }) => {
    expect(check.id).toMatch(new RegExp(`^mtu\\.${role}\\.[a-z0-9-]+$`));
    expect(check.area).toBe('mtu');
    for (const id of check.clauses) {
      expect(clauses.has(id), id).toBe(true);
      expect(clauses.get(id)?.role, id).toBe(role);
    }
    expect(check.level).toBe(clauses.get(check.clauses[0])?.level);
  });
});
