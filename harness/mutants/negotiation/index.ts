/**
 * Mutants that the negotiation checks must kill.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';
import { configRangeMutants } from './config-range-mutants.js';
import { deviceMutants } from './device-mutants.js';
import { driverMutants } from './driver-mutants.js';
import { statusMutants } from './status-mutants.js';
import { refusesUnknownBits } from './unknown-bits-mutants.js';
import { continuesAfterRefusal, retriesWithoutReset } from './failed-mutants.js';

export * from './config-range-mutants.js';
export * from './device-mutants.js';
export * from './driver-mutants.js';
export * from './register-shim.js';
export * from './status-mutants.js';
export * from './unknown-bits-mutants.js';
export * from './failed-mutants.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [...deviceMutants, ...driverMutants, ...statusMutants, ...configRangeMutants, refusesUnknownBits, retriesWithoutReset, continuesAfterRefusal];
