/**
 * What a transport register model gives the core when it attaches: how to
 * deliver interrupts, what to clear on reset, which feature bits the
 * transport cannot carry.
 *
 * @module
 */

import type { FeatureSet } from '../../specs/features/feature-set.js';
import type { Transport } from '../../specs/features/reserved.js';
import type { InterruptDelivery } from './events.js';

/** The transport side of the core, implemented by the PCI and MMIO models. */
export interface TransportBinding {
  /** Which transport this is; picks the clause IDs the core reports. */
  readonly transport: Transport;
  /**
   * Feature bits the transport cannot carry; the core never offers them
   * (`features.device.4`), e.g. VIRTIO_F_NOTIF_CONFIG_DATA on MMIO.
   */
  readonly unsupportedFeatures: FeatureSet;
  /** Sends a used-buffer notification for `queue` and says how (ISR bit 0 + INTx, MSI-X vector, MMIO bit 0). */
  deliverUsedBuffer(queue: number): InterruptDelivery;
  /** Sends a configuration change notification (ISR / InterruptStatus bit 1, config vector). */
  deliverConfigChange(): InterruptDelivery;
  /** Device reset: clear interrupt status and, on PCI, every MSI-X vector to NO_VECTOR (`pci.msix.device.7`, `mmio.reg.device.5`). */
  deviceReset(): void;
  /** Per-queue reset: clear the queue's transport state (its MSI-X vector). */
  queueReset(queue: number): void;
}
