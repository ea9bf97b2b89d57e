import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { mutants } from '../../mutants/negotiation/index.js';
import { type AreaCheck, CONFIGURATIONS, killingVerdict, runAgainstMutant, runConfig, runDeviceCheck, runDriverCheck } from './area-runs.js';
import { deviceChecks, driverChecks } from './index.js';

/** Where a check is expected not to apply to the references; everywhere else it must pass. */
const NOT_APPLICABLE: Readonly<Record<string, readonly string[]>> = {
  'negotiation.device.config-generation-pci': ['mmio/split', 'mmio/packed'],
  'negotiation.device.config-generation-mmio': ['pci/split', 'pci/packed'],
};

const expected = (id: string, transport: string, ring: string): string => ((NOT_APPLICABLE[id] ?? []).includes(`${transport}/${ring}`) ? 'not-applicable' : 'pass');

const ALL: readonly AreaCheck[] = [...deviceChecks.map((check) => ({ role: 'device' as const, check })), ...driverChecks.map((check) => ({ role: 'driver' as const, check }))];

describe('negotiation checks against the references', () => {
  it.each(CONFIGURATIONS)('the reference device passes every device-side check ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const verdicts: Record<string, string> = {};
    for (const check of deviceChecks) verdicts[check.id] = (await runDeviceCheck(check, config)).verdict.kind;
    expect(verdicts).toEqual(Object.fromEntries(deviceChecks.map((c) => [c.id, expected(c.id, transport, ring)])));
  });

  it.each(CONFIGURATIONS)('the reference driver passes every driver-side check ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const verdicts: Record<string, string> = {};
    for (const check of driverChecks) verdicts[check.id] = (await runDriverCheck(check, config)).verdict.kind;
    expect(verdicts).toEqual(Object.fromEntries(driverChecks.map((c) => [c.id, expected(c.id, transport, ring)])));
  });

  it('applies every check to the references in at least one configuration', () => {
    for (const { check } of ALL) expect((NOT_APPLICABLE[check.id] ?? []).length, check.id).toBeLessThan(CONFIGURATIONS.length);
  });
});

describe('negotiation mutants', () => {
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
  });

  it('mutant ids are unique and say their side and area', () => {
    const ids = mutants.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of mutants) expect(m.id).toMatch(new RegExp(`^${m.role}\\.negotiation\\.[a-z0-9-]+$`));
  });

  it('a failing property run carries what replays it', async () => {
    const mutant = mutants.find((m) => m.id === 'device.negotiation.features-ok-revoked');
    const target = byId.get('negotiation.device.status-machine');
    if (mutant === undefined || target === undefined) throw new Error('fixture missing');
    const first = await runAgainstMutant(mutant, target);
    expect(first.replay?.seed).toBe(42);
    expect(first.replay?.counterexample).toMatch(/set DRIVER_OK/);
    expect(first.trace.length).toBeGreaterThan(0);
    const again = await runAgainstMutant(mutant, target, first.replay?.path);
    expect(again.verdict).toEqual(first.verdict);
    expect(again.replay?.counterexample).toBe(first.replay?.counterexample);
  });
});

describe('negotiation check metadata', () => {
  const clauses = catalog();

  it.each(ALL.map((c) => [c.check.id, c] as const))('%s names real clauses of its role, at the primary clause level', (_id, { check, role }) => {
    expect(check.id).toMatch(new RegExp(`^negotiation\\.${role}\\.[a-z0-9-]+$`));
    expect(check.role).toBe(role);
    expect(check.area).toBe('negotiation');
    for (const id of check.clauses) {
      expect(clauses.has(id), id).toBe(true);
      expect(clauses.get(id)?.role, id).toBe(role);
    }
    expect(check.level).toBe(clauses.get(check.clauses[0])?.level);
  });

  it('check ids are unique', () => {
    const ids = ALL.map((c) => c.check.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
