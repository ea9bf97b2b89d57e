/**
 * Mutants that the header checks must kill.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';
import { deviceHeaderMutants } from './device-header-mutants.js';
import { driverHeaderMutants } from './driver-header-mutants.js';
import { deviceIgnoredFieldMutants } from './device-ignored-field-mutants.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [...deviceHeaderMutants, ...driverHeaderMutants, ...deviceIgnoredFieldMutants];
