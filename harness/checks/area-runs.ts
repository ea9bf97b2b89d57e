/**
 * Test support shared by the check areas. Runs an area's checks against the reference device and driver and against the area's mutants,
 * the way the area tests and a kill matrix need them: one result per check and configuration.
 *
 * @module
 */

import { referenceDeviceAdapter } from '../adapters/reference-device.js';
import { referenceDriverAdapter } from '../adapters/reference-driver.js';
import type { Mutant } from '../mutants/mutant.js';
import type { Check, RingKind, TransportKind } from './check.js';
import type { DeviceCheckContext, DriverCheckContext, RunConfig } from './context.js';
import { deviceContext } from './device-context.js';
import { driverContext } from './driver-context.js';
import { type CheckResult, runCheck } from './runner.js';

/** The four configurations every check runs in. */
export const CONFIGURATIONS: readonly { readonly transport: TransportKind; readonly ring: RingKind }[] = (['pci', 'mmio'] as const).flatMap((transport) =>
  (['split', 'packed'] as const).map((ring) => ({ transport, ring })),
);

/** A run configuration with the default run count. */
export function runConfig(transport: TransportKind, ring: RingKind, seed = 42, timeoutMs = 10_000): RunConfig {
  return { transport, ring, seed, numRuns: 100, timeoutMs };
}

const referenceDevice = referenceDeviceAdapter();
const referenceDriver = referenceDriverAdapter();

/** Runs a device-side check against the reference device. */
export function runDeviceCheck(check: Check<DeviceCheckContext>, config: RunConfig): Promise<CheckResult> {
  return runCheck(check, 'reference', config, deviceContext(referenceDevice, config));
}

/** Runs a driver-side check against the reference driver. */
export function runDriverCheck(check: Check<DriverCheckContext>, config: RunConfig): Promise<CheckResult> {
  return runCheck(check, 'reference', config, driverContext(referenceDriver, config));
}

/** The area's checks, by ID, with their side. */
export type AreaCheck = { readonly role: 'device'; readonly check: Check<DeviceCheckContext> } | { readonly role: 'driver'; readonly check: Check<DriverCheckContext> };

/**
 * Runs `check` (one of `mutant`'s killers) against `mutant` in the mutant's configuration; `path`
 * replays one fast-check run.
 */
export function runAgainstMutant(mutant: Mutant, target: AreaCheck, path?: string, seed?: number, timeoutMs?: number): Promise<CheckResult> {
  const base = runConfig(mutant.transport ?? 'pci', mutant.ring ?? 'split', seed, timeoutMs);
  const config = path === undefined ? base : { ...base, path };
  if (mutant.role === 'device' && target.role === 'device') return runCheck(target.check, mutant.id, config, deviceContext(mutant.adapter, config));
  if (mutant.role === 'driver' && target.role === 'driver') return runCheck(target.check, mutant.id, config, driverContext(mutant.adapter, config));
  throw new Error(`${mutant.id} (${mutant.role}) cannot be judged by ${target.check.id} (${target.role})`);
}

/** The verdict a check must reach on a mutant it kills: fail for MUST rules, non-strict for SHOULD rules. */
export function killingVerdict(check: { readonly level: string }): 'fail' | 'non-strict' {
  return check.level === 'SHOULD' || check.level === 'SHOULD NOT' ? 'non-strict' : 'fail';
}
