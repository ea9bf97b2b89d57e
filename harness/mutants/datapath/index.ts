/**
 * Mutants that the data-path checks must kill.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';
import { deviceDatapathMutants } from './device-datapath-mutants.js';
import { driverDatapathMutants } from './driver-datapath-mutants.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [...deviceDatapathMutants, ...driverDatapathMutants];
