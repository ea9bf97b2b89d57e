/**
 * Mutants that the transport checks must kill.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';
import { deviceMutants } from './device-mutants.js';
import { driverMutants } from './driver-mutants.js';
import { mmioCachedDriverFeaturesSelector, mmioCachedFeatureSelectors } from './feature-select-mutants.js';

export * from './device-mutants.js';
export * from './device-seams.js';
export * from './driver-mutants.js';
export * from './driver-shim.js';
export * from './feature-select-mutants.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [...deviceMutants, ...driverMutants, mmioCachedFeatureSelectors, mmioCachedDriverFeaturesSelector];
