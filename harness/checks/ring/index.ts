/**
 * Checks of the ring area: split and packed ring rules (virtio 1.4 sections
 * 2.7 and 2.8) and event suppression, judged on whole devices and drivers by
 * the ring observers.
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { deviceTrafficChecks } from './device-ring-checks.js';
import { driverTrafficChecks } from './driver-ring-checks.js';
import { indirectLayoutsCheck } from './indirect-layouts.js';
import { malformedChainCheck } from './malformed-chain.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [...deviceTrafficChecks, malformedChainCheck, indirectLayoutsCheck];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [...driverTrafficChecks];
