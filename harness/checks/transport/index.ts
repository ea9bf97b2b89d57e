/**
 * Checks of the transport area: the virtio-pci and virtio-mmio register rules (status and reset
 * registers, feature windows, queue registers, notifications, ISR, MSI-X, MMIO interrupts).
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [];
