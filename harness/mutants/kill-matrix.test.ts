/**
 * The kill matrix: the unmodified references pass every check; every shipped mutant is caught by
 * the checks it names; every check catches at least one mutant. A check no mutant kills fails the
 * build here.
 */
import { describe, expect, it } from 'vitest';
import { referenceDeviceAdapter } from '../adapters/reference-device.js';
import { referenceDriverAdapter } from '../adapters/reference-driver.js';
import type { RingKind, TransportKind } from '../checks/check.js';
import type { RunConfig } from '../checks/context.js';
import { deviceContext } from '../checks/device-context.js';
import { driverContext } from '../checks/driver-context.js';
import { DEVICE_CHECKS, DRIVER_CHECKS, findCheck } from '../checks/registry.js';
import { runCheck } from '../checks/runner.js';
import { ALL_MUTANTS } from './registry.js';

const CONFIGS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));

function config(transport: TransportKind, ring: RingKind): RunConfig {
  return { transport, ring, seed: 0x5eed, numRuns: 20, timeoutMs: 20_000 };
}

describe('the references pass every check', () => {
  it('has checks on both sides', () => {
    expect(DEVICE_CHECKS.length).toBeGreaterThan(0);
    expect(DRIVER_CHECKS.length).toBeGreaterThan(0);
    expect(new Set([...DEVICE_CHECKS, ...DRIVER_CHECKS].map((c) => c.id)).size).toBe(DEVICE_CHECKS.length + DRIVER_CHECKS.length);
  });

  it.each(DEVICE_CHECKS.map((c) => [c.id, c] as const))('the reference device passes %s wherever it applies', async (_id, check) => {
    const device = referenceDeviceAdapter();
    const problems: string[] = [];
    let passedSomewhere = false;
    for (const { transport, ring } of CONFIGS) {
      const result = await runCheck(check, device.name, config(transport, ring), deviceContext(device, config(transport, ring)));
      if (result.verdict.kind === 'pass') passedSomewhere = true;
      else if (result.verdict.kind !== 'not-applicable') problems.push(`${transport}/${ring}: ${JSON.stringify(result.verdict)}`);
    }
    if (!passedSomewhere) problems.push('not applicable to the reference in any configuration');
    expect(problems).toEqual([]);
  }, 120_000);

  it.each(DRIVER_CHECKS.map((c) => [c.id, c] as const))('the reference driver passes %s wherever it applies', async (_id, check) => {
    const driver = referenceDriverAdapter();
    const problems: string[] = [];
    let passedSomewhere = false;
    for (const { transport, ring } of CONFIGS) {
      const result = await runCheck(check, driver.name, config(transport, ring), driverContext(driver, config(transport, ring)));
      if (result.verdict.kind === 'pass') passedSomewhere = true;
      else if (result.verdict.kind !== 'not-applicable') problems.push(`${transport}/${ring}: ${JSON.stringify(result.verdict)}`);
    }
    if (!passedSomewhere) problems.push('not applicable to the reference in any configuration');
    expect(problems).toEqual([]);
  }, 120_000);
});

describe('every mutant is caught', () => {
  it('mutant ids are unique and name existing checks of their role', () => {
    expect(new Set(ALL_MUTANTS.map((m) => m.id)).size).toBe(ALL_MUTANTS.length);
    for (const mutant of ALL_MUTANTS) {
      for (const id of mutant.killedBy) {
        const check = findCheck(id);
        expect(check, `${mutant.id} names unknown check ${id}`).toBeDefined();
        expect(check?.role, `${mutant.id} vs ${id}`).toBe(mutant.role);
      }
    }
  });

  it.each(ALL_MUTANTS.map((m) => [m.id, m] as const))('%s is killed by every check it names', async (_id, mutant) => {
    const cfg = config(mutant.transport ?? 'pci', mutant.ring ?? 'split');
    for (const id of mutant.killedBy) {
      const check = findCheck(id)!;
      const result =
        mutant.role === 'device'
          ? await runCheck(check as (typeof DEVICE_CHECKS)[number], mutant.adapter.name, cfg, deviceContext(mutant.adapter, cfg))
          : await runCheck(check as (typeof DRIVER_CHECKS)[number], mutant.adapter.name, cfg, driverContext(mutant.adapter, cfg));
      expect(['fail', 'non-strict'], `${mutant.id} survived ${id}: ${JSON.stringify(result.verdict)}`).toContain(result.verdict.kind);
    }
  }, 120_000);
});

describe('every check catches a mutant', () => {
  it('no check is left unkilled', () => {
    const killed = new Set(ALL_MUTANTS.flatMap((m) => m.killedBy));
    const unkilled = [...DEVICE_CHECKS, ...DRIVER_CHECKS].map((c) => c.id).filter((id) => !killed.has(id));
    expect(unkilled).toEqual([]);
  });
});
