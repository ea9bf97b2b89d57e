/**
 * Checks of the transport area: the virtio-pci and virtio-mmio register rules (status and reset
 * registers, feature windows, queue registers, notifications, ISR, MSI-X, MMIO interrupts).
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { driverMmioInterrupts } from './driver-mmio-interrupts.js';
import { driverMsixVectors } from './driver-msix.js';
import { driverPciNotifyWrites } from './driver-notify.js';
import { driverCombinedInterrupt, driverMsixTableSizes } from './driver-pci-interrupts.js';
import { driverMmioRegisterAccess, driverPciRegisterAccess } from './driver-register-access.js';
import { mmioIdentity, pciIdentity } from './identity.js';
import { mmioInterruptStatus } from './mmio-interrupts.js';
import { msixDelivery, msixVectors } from './msix.js';
import { pciCapabilities, pciNotifyLayout, pciNotifyLayoutData } from './pci-capabilities.js';
import { pciFeatureWindow, pciQueueRegisters } from './pci-common-registers.js';
import { pciIsr } from './pci-isr.js';
import { mmioQueueReset, pciQueueReset } from './queue-reset.js';
import { mmioResetRegisters, pciResetRegisters } from './reset-registers.js';
import { driverMmioFeatureSelect } from './mmio-feature-select.js';

export * from './driver-mmio-interrupts.js';
export * from './driver-msix.js';
export * from './driver-notify.js';
export * from './driver-pci-interrupts.js';
export * from './driver-register-access.js';
export * from './identity.js';
export * from './mmio-interrupts.js';
export * from './msix.js';
export * from './pci-capabilities.js';
export * from './pci-common-registers.js';
export * from './pci-isr.js';
export * from './queue-reset.js';
export * from './reset-registers.js';
export * from './mmio-feature-select.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [
  pciIdentity,
  mmioIdentity,
  pciCapabilities,
  pciNotifyLayout,
  pciNotifyLayoutData,
  pciFeatureWindow,
  pciQueueRegisters,
  msixVectors,
  msixDelivery,
  pciIsr,
  mmioInterruptStatus,
  pciResetRegisters,
  mmioResetRegisters,
  pciQueueReset,
  mmioQueueReset,
];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [
  driverPciRegisterAccess,
  driverMmioRegisterAccess,
  driverPciNotifyWrites,
  driverMsixVectors,
  driverMsixTableSizes,
  driverCombinedInterrupt,
  driverMmioInterrupts,
  driverMmioFeatureSelect,
];
