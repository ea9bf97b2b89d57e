/**
 * A mutant: a deliberately broken device or driver, built from the reference with one rule broken,
 * that at least one check must catch. A check no mutant kills proves nothing; a mutant no check
 * kills is a hole in the suite. The kill-matrix test holds both.
 *
 * @module
 */

import type { DeviceAdapter, DriverAdapter } from '../adapters/contract.js';
import type { RingKind, TransportKind } from '../checks/check.js';

interface MutantBase {
  /** Stable ID, `<role>.<area>.<name>`. */
  readonly id: string;
  /** One line: what is broken. */
  readonly title: string;
  /**
   * The real bug it imitates, where one fits: an entry of the bug zoo in
   * shared/design/linux-driver-facts.md section 5 (e.g. `D2`), or a short account.
   */
  readonly imitates?: string;
  /** The checks expected to kill it; the kill matrix runs each and demands at least one kill. */
  readonly killedBy: readonly [string, ...string[]];
  /** The configuration it is killed in. @default pci, split */
  readonly transport?: TransportKind;
  readonly ring?: RingKind;
}

/** A broken device, judged by device-side checks. */
export interface DeviceMutant extends MutantBase {
  readonly role: 'device';
  readonly adapter: DeviceAdapter;
}

/** A broken driver, judged by driver-side checks. */
export interface DriverMutant extends MutantBase {
  readonly role: 'driver';
  readonly adapter: DriverAdapter;
}

/** Any mutant. */
export type Mutant = DeviceMutant | DriverMutant;
