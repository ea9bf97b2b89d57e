/**
 * The seam between the transport-agnostic virtio core and one device type
 * (the net device, or a test device): what a device type provides
 * ({@link VirtioDeviceBackend}) and what the core hands it
 * ({@link DeviceContext}).
 *
 * The core owns everything generic: device status, feature negotiation,
 * queue registers, notifications in, interrupts out, config generation. A
 * backend owns its config space, its feature rules and its datapath; it
 * sees the driver only through guest memory and the device-side queues the
 * core builds for it.
 *
 * @module
 */

import type { FeatureSet } from '../../specs/features/feature-set.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { DeviceCounters, NeedsResetReason } from './events.js';
import type { FeatureValidation } from './feature-acceptance.js';
import type { DeviceQueue } from './device-queue.js';

/** Width in bytes of one register or config-space access. */
export type AccessWidth = 1 | 2 | 4;

/** A device type plugged into the core. */
export interface VirtioDeviceBackend {
  /** virtio device ID (1 = net); shown as MMIO DeviceID and in the PCI device ID 0x1040 + id. */
  readonly deviceId: number;
  /**
   * Features the device type offers, device-independent bits included
   * (VERSION_1, RING_PACKED, EVENT_IDX, …). It must not offer a bit without
   * its prerequisites (`features.device.1`) nor one it cannot honour
   * (`features.device.4`); the core additionally hides bits the transport or
   * the core does not implement.
   */
  readonly offeredFeatures: FeatureSet;
  /**
   * Maximum size of each virtqueue; the length is the number of queues
   * (`num_queues`, fixed for the life of the device, so the largest layout
   * the offer allows). A max of 0 means "no such queue" (reads as 0). These
   * are what queue_size / QueueSizeMax show until FEATURES_OK is kept.
   */
  readonly queueMaxSizes: readonly number[];
  /**
   * Max size of queue `index` (below `queueMaxSizes.length`) in the layout
   * `negotiated` selects, 0 when that layout has no such queue. Consulted
   * once per queue when FEATURES_OK is kept; from then until reset
   * queue_size / QueueSizeMax and the size bounds follow it. Needed where
   * the queue numbering depends on the features: net's controlq is at 2N
   * with N = 1 unless MQ or RSS is negotiated (`net.vq.any.1.device`).
   * @default the fixed `queueMaxSizes`
   */
  queueMaxSize?(index: number, negotiated: FeatureSet): number;
  /** Size of the device-specific config space in bytes. */
  readonly configSize: number;
  /**
   * Reads `width` bytes at `offset` of the config space as an unsigned
   * little-endian value. Only called with `offset + width <= configSize`.
   * Must be side-effect free (config may be read any time, `config.device.1`).
   */
  readConfig(offset: number, width: AccessWidth): number;
  /** Writes the low `width` bytes of `value` at `offset`; only called inside the config space. */
  writeConfig(offset: number, width: AccessWidth, value: number): void;
  /**
   * Device-type rules on the driver's subset, run at FEATURES_OK after the
   * generic checks (e.g. `validateNetDependencies` from
   * `feature-acceptance.ts` for net).
   */
  validateFeatures(driverFeatures: FeatureSet): FeatureValidation;
  /**
   * Called once the core has been built, before any driver access. The
   * context stays valid for the life of the device; a backend that changes
   * its config on its own (link status, announce) calls
   * `context.configChanged()` through it.
   * @default no-op
   */
  attach?(context: DeviceContext): void;
  /** DRIVER_OK was set with FEATURES_OK: the device is live with `context.features`. */
  activate(context: DeviceContext): void;
  /**
   * An available-buffer notification for an enabled queue of a live device.
   * `notificationData` is the value the driver wrote: the queue index, or
   * with VIRTIO_F_NOTIFICATION_DATA the 32-bit `vq_index | next_off << 16 |
   * next_wrap << 31` (facts.md §10).
   */
  notify(queueIndex: number, notificationData: number): void;
  /**
   * Device reset: forget every queue object and all negotiated state; config
   * returns to its initial values. No notifications may follow
   * (`reset.device.2`).
   */
  reset(): void;
  /**
   * Queue `index` was reset (VIRTIO_F_RING_RESET, or MMIO QueueReady = 0):
   * drop its queue object and in-flight buffers; send nothing more for it
   * (`vqreset.device.1`, `vqreset.device.2`).
   */
  resetQueue(index: number): void;
  /**
   * Queue `index` went live while the device was already live (re-enable
   * after a queue reset, `vqreset.device.3`): fetch the new queue object
   * with `context.queue(index)`.
   * @default no-op
   */
  queueEnabled?(index: number): void;
}

/** What the core hands a backend. */
export interface DeviceContext {
  /** Guest memory the rings and buffers live in. */
  readonly memory: GuestMemory;
  /** The negotiated features; 0n until FEATURES_OK was kept. */
  readonly features: FeatureSet;
  /** True from an accepted DRIVER_OK until reset, DEVICE_NEEDS_RESET or FAILED. */
  readonly live: boolean;
  /**
   * The device-side queue object for `index`, split or packed by
   * negotiation with the EVENT_IDX / INDIRECT_DESC / IN_ORDER flags set,
   * built from the queue registers on first use. `undefined` while the
   * device is not live or the queue is not enabled (`status.device.1`,
   * `mmio.reg.device.7`). If the driver's ring layout is unusable the core
   * sets DEVICE_NEEDS_RESET and returns `undefined`.
   */
  queue(index: number): DeviceQueue | undefined;
  /**
   * Raise a used-buffer notification for queue `index` (after the ring
   * engine decided one is due). The transport picks ISR bit / MSI-X vector /
   * MMIO InterruptStatus. Ignored (and logged) when not live.
   */
  raiseUsedBufferNotification(index: number): void;
  /**
   * The device type changed its config: bump config_generation
   * (`pci.common.device.6`, `mmio.reg.device.6`) and send a configuration
   * change notification when DRIVER_OK is set.
   */
  configChanged(): void;
  /**
   * The device cannot go on: set DEVICE_NEEDS_RESET, and if DRIVER_OK was set
   * follow with a configuration change notification (`status.device.2`,
   * `status.device.3`). A ring error from the engine is passed as
   * `{ kind: 'ring-error', queue, error }`. Only the first reason counts
   * until reset; later ones are logged.
   */
  fail(reason: NeedsResetReason): void;
  /**
   * Reports a driver rule violation the device type saw (`clause` from
   * clauses.json, or null for a rule no clause names) into the core's event
   * log and `driverViolations` counter, so that one log holds every
   * violation whoever saw it. It changes no device state.
   */
  violation(clause: string | null, message: string): void;
  /** The device's counters (read-only for the backend). */
  readonly counters: Readonly<DeviceCounters>;
}
