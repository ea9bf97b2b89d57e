import { describe, expect, it } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import { mutants } from '../../mutants/transport/index.js';
import type { Check, RingKind, TransportKind } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext, RunConfig } from '../context.js';
import { deviceContext } from '../device-context.js';
import { driverContext } from '../driver-context.js';
import { runCheck } from '../runner.js';
import { deviceChecks, driverChecks } from './index.js';

const CONFIGURATIONS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));

function runConfig(transport: TransportKind, ring: RingKind): RunConfig {
  return { transport, ring, seed: 0x7a5, numRuns: 30, timeoutMs: 20_000 };
}

/**
 * What each check must answer for the references: every transport check is bound to one
 * transport or applies to both, and judges both ring formats; so `pass` where its transport
 * runs and `not-applicable` elsewhere.
 */
function expectedVerdict(check: Check<unknown>, transport: TransportKind): 'pass' | 'not-applicable' {
  return check.applies.transports === undefined || check.applies.transports.includes(transport) ? 'pass' : 'not-applicable';
}

describe('transport checks against the references', () => {
  it.each(CONFIGURATIONS)('the reference device passes every device-side check where its transport runs ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const device = referenceDeviceAdapter();
    const verdicts: Record<string, unknown> = {};
    for (const check of deviceChecks) {
      const result = await runCheck(check, device.name, config, deviceContext(device, config));
      verdicts[check.id] = result.verdict.kind === expectedVerdict(check, transport) ? result.verdict.kind : result.verdict;
    }
    expect(verdicts).toEqual(Object.fromEntries(deviceChecks.map((c) => [c.id, expectedVerdict(c, transport)])));
  });

  it.each(CONFIGURATIONS)('the reference driver passes every driver-side check where its transport runs ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const driver = referenceDriverAdapter();
    const verdicts: Record<string, unknown> = {};
    for (const check of driverChecks) {
      const result = await runCheck(check, driver.name, config, driverContext(driver, config));
      verdicts[check.id] = result.verdict.kind === expectedVerdict(check, transport) ? result.verdict.kind : result.verdict;
    }
    expect(verdicts).toEqual(Object.fromEntries(driverChecks.map((c) => [c.id, expectedVerdict(c, transport)])));
  });

  it('every check applies in some configuration (none is not-applicable everywhere)', () => {
    for (const check of [...deviceChecks, ...driverChecks]) {
      expect(CONFIGURATIONS.some(({ transport }) => expectedVerdict(check, transport) === 'pass'), check.id).toBe(true);
    }
  });
});

describe('transport mutants', () => {
  const device = new Map(deviceChecks.map((c) => [c.id, c]));
  const driver = new Map(driverChecks.map((c) => [c.id, c]));

  it.each(mutants.map((m) => [m.id, m] as const))('%s fails every check in its killedBy, on a clause of that check', async (_id, mutant) => {
    const config = runConfig(mutant.transport ?? 'pci', mutant.ring ?? 'split');
    for (const id of mutant.killedBy) {
      const result =
        mutant.role === 'device'
          ? await runCheck(device.get(id) as Check<DeviceCheckContext>, mutant.id, config, deviceContext(mutant.adapter, config))
          : await runCheck(driver.get(id) as Check<DriverCheckContext>, mutant.id, config, driverContext(mutant.adapter, config));
      expect(result.verdict.kind, `${id} on ${mutant.id}: ${JSON.stringify(result.verdict)}`).toBe('fail');
      if (result.verdict.kind === 'fail') expect(result.clauses).toContain(result.verdict.clause);
    }
  });

  it('every check is killed by some mutant of its own role, and mutant IDs follow <role>.transport.<name>', () => {
    const killed = new Set(mutants.flatMap((m) => m.killedBy));
    for (const check of [...deviceChecks, ...driverChecks]) expect(killed.has(check.id), `${check.id} has no mutant`).toBe(true);
    for (const m of mutants) {
      expect(m.id).toMatch(new RegExp(`^${m.role}\\.transport\\.[a-z0-9-]+$`));
      for (const id of m.killedBy) expect((m.role === 'device' ? device : driver).has(id), `${m.id} -> ${id}`).toBe(true);
    }
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
  });
});

describe('transport check metadata', () => {
  const clauses = catalog();
  const all = [...deviceChecks.map((check) => ['device', check] as const), ...driverChecks.map((check) => ['driver', check] as const)];

  it.each(all.map(([role, check]) => [check.id, role, check] as const))('%s names real %s clauses, at the primary clause level', (_id, role, check) => {
    expect(check.id).toMatch(new RegExp(`^transport\\.${role}\\.[a-z0-9-]+$`));
    expect(check.role).toBe(role);
    expect(check.area).toBe('transport');
    for (const id of check.clauses) {
      expect(clauses.has(id), id).toBe(true);
      expect(clauses.get(id)?.role, id).toBe(role);
    }
    expect(new Set(check.clauses).size).toBe(check.clauses.length);
    expect(check.level).toBe(clauses.get(check.clauses[0])?.level);
  });

  it('check IDs are unique', () => {
    const ids = all.map(([, c]) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
