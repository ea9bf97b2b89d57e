/**
 * Checks of the ring area.
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [];
