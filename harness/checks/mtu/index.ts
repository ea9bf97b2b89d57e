/**
 * Checks of the mtu area: the `mtu` config field and the frame and buffer sizes it bounds, on
 * both sides (`net.cfg.device.2`..`.6`, `net.cfg.driver.7`..`.9`).
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { mtuReceiveLimit, mtuTransmitForwarded } from './device-datapath.js';
import { mtuInRange, mtuRecommendedMinimum, mtuUnchanging } from './device-mtu.js';
import { driverAcceptsMtu, driverReceiveBuffers, driverRejectsInvalidMtu, driverTransmitLimit } from './driver-mtu.js';

export * from './device-datapath.js';
export * from './device-mtu.js';
export * from './driver-mtu.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [mtuInRange, mtuRecommendedMinimum, mtuUnchanging, mtuReceiveLimit, mtuTransmitForwarded];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [driverRejectsInvalidMtu, driverAcceptsMtu, driverTransmitLimit, driverReceiveBuffers];
