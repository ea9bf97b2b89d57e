/**
 * Every check the harness ships, by area. Checks are data: the CLI filters them, the reporters list
 * them, the kill matrix proves each one can fail.
 *
 * @module
 */

import type { Check } from './check.js';
import type { DeviceCheckContext, DriverCheckContext } from './context.js';
import * as ctrl from './ctrl/index.js';
import * as datapath from './datapath/index.js';
import * as header from './header/index.js';
import * as mtu from './mtu/index.js';
import * as negotiation from './negotiation/index.js';
import * as ring from './ring/index.js';
import * as transport from './transport/index.js';

const AREAS = [negotiation, transport, header, mtu, ctrl, ring, datapath] as const;

/** All device-side checks. */
export const DEVICE_CHECKS: readonly Check<DeviceCheckContext>[] = AREAS.flatMap((area) => area.deviceChecks);

/** All driver-side checks. */
export const DRIVER_CHECKS: readonly Check<DriverCheckContext>[] = AREAS.flatMap((area) => area.driverChecks);

/** Every check, device-side first. */
export const ALL_CHECKS: readonly (Check<DeviceCheckContext> | Check<DriverCheckContext>)[] = [...DEVICE_CHECKS, ...DRIVER_CHECKS];

/** The check with this ID, or undefined. */
export function findCheck(id: string): Check<DeviceCheckContext> | Check<DriverCheckContext> | undefined {
  return ALL_CHECKS.find((check) => check.id === id);
}
