/**
 * Resolves a plan's subject into adapters: the reference device and front end, a user's modules,
 * or (later) QEMU. The device-side checks judge `device`; the driver-side checks judge `driver`.
 *
 * @module
 */

import type { DeviceAdapter, DriverAdapter } from '../adapters/contract.js';
import { loadDeviceAdapter, loadDriverAdapter } from '../adapters/load-module.js';
import { referenceDeviceAdapter } from '../adapters/reference-device.js';
import { referenceDriverAdapter } from '../adapters/reference-driver.js';
import type { RunPlan } from './plan.js';

/** The implementations a run judges; a side left out is not judged. */
export interface Subjects {
  readonly device?: DeviceAdapter;
  readonly driver?: DriverAdapter;
}

/** The outcome of resolving the subject. */
export type SubjectsResult = { readonly kind: 'ok'; readonly subjects: Subjects } | { readonly kind: 'error'; readonly message: string };

/**
 * With no modules the reference target judges both references (the gate's self-test). A
 * `--device` module is judged alone on the device side, a `--driver` module on the driver side.
 */
export async function resolveSubjects(subject: RunPlan['subject']): Promise<SubjectsResult> {
  if (subject.target === 'qemu') return { kind: 'error', message: "--target qemu: the QEMU adapter is not available in this version" };
  if (subject.device === undefined && subject.driver === undefined) {
    return { kind: 'ok', subjects: { device: referenceDeviceAdapter(), driver: referenceDriverAdapter() } };
  }
  let device: DeviceAdapter | undefined;
  let driver: DriverAdapter | undefined;
  if (subject.device !== undefined) {
    const loaded = await loadDeviceAdapter(subject.device);
    if (loaded.kind === 'error') return loaded;
    device = loaded.adapter;
  }
  if (subject.driver !== undefined) {
    const loaded = await loadDriverAdapter(subject.driver);
    if (loaded.kind === 'error') return loaded;
    driver = loaded.adapter;
  }
  return { kind: 'ok', subjects: { ...(device ? { device } : {}), ...(driver ? { driver } : {}) } };
}
