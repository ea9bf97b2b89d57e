/**
 * Mutants that the ring checks must kill: whole devices and drivers with
 * one ring rule broken.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';
import { deviceRingMutants, indirectOnlyAtHeadMutant, silentRingErrorMutant } from './device-ring-mutants.js';
import { driverRingMutants } from './driver-ring-mutants.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [...deviceRingMutants, silentRingErrorMutant, indirectOnlyAtHeadMutant, ...driverRingMutants];
