/**
 * Mutants that the transport checks must kill.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [];
