/**
 * What the reference device saw and did, as data: an event log and counters
 * that tests and checks read instead of poking at internals.
 *
 * Every event is a discriminated union member on `kind`. The core and both
 * transports write into the same {@link DeviceEventLog}, so one log tells the
 * whole story of a run: status writes, feature writes and the negotiation
 * outcome, queue setup, notifications received, interrupts raised with their
 * cause and how they were delivered, config changes, DEVICE_NEEDS_RESET with
 * its reason, and every driver rule violation the device could detect.
 *
 * @module
 */

import type { FeatureSet } from '../../specs/features/feature-set.js';
import type { DeviceRingError, RingFormat } from '../virtqueue/ring-error.js';
import type { FeatureRefusal } from './feature-acceptance.js';

/**
 * How the transport delivered (or did not deliver) an interrupt.
 *
 * - `msix`: an MSI-X message for `vector` was sent.
 * - `msix-pending`: `vector` is masked; its pending bit is set and the message
 *   goes out on unmask.
 * - `intx`: PCI ISR bit set and INTx asserted (or kept asserted).
 * - `line`: MMIO InterruptStatus bit set and the interrupt line asserted (or
 *   kept asserted).
 * - `none`: nothing was sent: `no-vector` (MSI-X on and the event mapped to
 *   NO_VECTOR, `pci.usednotif.device.1`, `pci.cfgnotif.device.1`),
 *   `not-live` (before DRIVER_OK, after DEVICE_NEEDS_RESET or FAILED, or for
 *   a queue that is not enabled: `status.device.1`, `reset.device.2`,
 *   `vqreset.device.1`), `intx-disabled` (PCI command register Interrupt
 *   Disable set; ISR still records it).
 */
export type InterruptDelivery =
  | { readonly kind: 'msix'; readonly vector: number }
  | { readonly kind: 'msix-pending'; readonly vector: number }
  | { readonly kind: 'intx' }
  | { readonly kind: 'line' }
  | { readonly kind: 'none'; readonly reason: 'no-vector' | 'not-live' | 'intx-disabled' };

/** Why the device set DEVICE_NEEDS_RESET (`status.device.2`). */
export type NeedsResetReason =
  /** The ring engine refused the driver's ring on `queue`. */
  | { readonly kind: 'ring-error'; readonly queue: number; readonly error: DeviceRingError }
  /** The driver broke an initialization rule the device cannot work around. */
  | { readonly kind: 'driver-error'; readonly clause: string | null; readonly message: string }
  /** The device type itself gave up (a backend bug or an injected fault). */
  | { readonly kind: 'device-error'; readonly message: string };

/** One thing the device observed or did. */
export type DeviceEvent =
  /** A driver write to device_status / Status: the value written, the status before and after. */
  | { readonly kind: 'status-write'; readonly written: number; readonly before: number; readonly after: number }
  /** A device reset took place (status written 0), `reset.device.1`. */
  | { readonly kind: 'reset' }
  /** A driver write to driver_feature / DriverFeatures; `applied` false when ignored (after FEATURES_OK, or beyond bit 127). */
  | { readonly kind: 'feature-write'; readonly select: number; readonly value: number; readonly applied: boolean }
  /** FEATURES_OK kept: `features` is the negotiated set from now until reset. */
  | { readonly kind: 'features-accepted'; readonly features: FeatureSet }
  /** FEATURES_OK refused and read back clear (`features.device.3`). */
  | { readonly kind: 'features-refused'; readonly features: FeatureSet; readonly refusal: FeatureRefusal }
  /** DRIVER_OK accepted and the device type activated with `features`. */
  | { readonly kind: 'activated'; readonly features: FeatureSet }
  /** A queue went live (queue_enable = 1 / QueueReady = 1). */
  | { readonly kind: 'queue-enabled'; readonly queue: number; readonly size: number; readonly format: RingFormat }
  /** MMIO QueueReady = 0 stopped a queue. */
  | { readonly kind: 'queue-stopped'; readonly queue: number }
  /** A per-queue reset was requested (`pci.common.device.11`, `mmio.reg.device.10`); `complete` once it reads 0 again. */
  | { readonly kind: 'queue-reset'; readonly queue: number; readonly complete: boolean }
  /** An available-buffer notification; `forwarded` false when the device dropped it (not live, no such queue). */
  | { readonly kind: 'notification'; readonly queue: number; readonly data: number; readonly forwarded: boolean }
  /** An interrupt the device raised: `queue` is −1 for a configuration change. */
  | {
      readonly kind: 'interrupt';
      readonly cause: 'used-buffer' | 'config-change';
      readonly queue: number;
      readonly delivery: InterruptDelivery;
    }
  /** Device configuration changed; `generation` is the new config_generation. */
  | { readonly kind: 'config-change'; readonly generation: number }
  /** DEVICE_NEEDS_RESET set (`status.device.2`, `status.device.3`). */
  | { readonly kind: 'needs-reset'; readonly reason: NeedsResetReason }
  /** The driver broke a rule the device can see; `clause` is the catalog ID when one applies. */
  | { readonly kind: 'driver-violation'; readonly clause: string | null; readonly message: string }
  /** PCI ISR read (read-to-clear, `pci.isr.device.5`). */
  | { readonly kind: 'isr-read'; readonly value: number }
  /** MMIO InterruptACK write. */
  | { readonly kind: 'interrupt-ack'; readonly value: number; readonly remaining: number };

/** The `kind` values of {@link DeviceEvent}. */
export type DeviceEventKind = DeviceEvent['kind'];

/** A listener for {@link DeviceEventLog.subscribe}. */
export type DeviceEventListener = (event: DeviceEvent) => void;

/**
 * Counters kept by the core and the transports. Plain int counters, never
 * reset by a device reset (they count over the life of the device object).
 */
export interface DeviceCounters {
  /** Writes to device_status / Status. */
  statusWrites: number;
  /** Device resets (status written 0). */
  resets: number;
  /** FEATURES_OK kept. */
  featuresAccepted: number;
  /** FEATURES_OK refused. */
  featuresRefused: number;
  /** Writes to driver_feature after FEATURES_OK, ignored (`init.driver.4`). */
  featureWritesIgnored: number;
  /** Available-buffer notifications received. */
  notifications: number;
  /** Of those, dropped without reaching the device type. */
  notificationsDropped: number;
  /** Used-buffer interrupts requested by the device type. */
  usedBufferInterrupts: number;
  /** Configuration-change interrupts requested (config changes and NEEDS_RESET). */
  configInterrupts: number;
  /** Interrupts requested but not sent (delivery `none`). */
  interruptsSuppressed: number;
  /** Device configuration changes (config_generation bumps). */
  configChanges: number;
  /** Times DEVICE_NEEDS_RESET was set. */
  needsReset: number;
  /** Per-queue resets. */
  queueResets: number;
  /** Driver rule violations (every `driver-violation` event). */
  driverViolations: number;
  /** Register accesses the transport refused: bad width or alignment, unknown offset, write to a read-only register. */
  registerErrors: number;
}

/** Fresh all-zero counters. */
export function newDeviceCounters(): DeviceCounters {
  return {
    statusWrites: 0,
    resets: 0,
    featuresAccepted: 0,
    featuresRefused: 0,
    featureWritesIgnored: 0,
    notifications: 0,
    notificationsDropped: 0,
    usedBufferInterrupts: 0,
    configInterrupts: 0,
    interruptsSuppressed: 0,
    configChanges: 0,
    needsReset: 0,
    queueResets: 0,
    driverViolations: 0,
    registerErrors: 0,
  };
}

/** Options of {@link DeviceEventLog}. */
export interface DeviceEventLogOptions {
  /**
   * Keep events in {@link DeviceEventLog.events}. Listeners are called
   * either way; turn this off for long benchmark runs.
   * @default true
   */
  readonly record?: boolean;
  /**
   * Most events kept; later events are counted in
   * {@link DeviceEventLog.dropped} instead of stored.
   * @default 100000
   */
  readonly capacity?: number;
}

/**
 * Append-only event log with listeners. The device and its transport share
 * one; tests read {@link events} or {@link ofKind}, live checks subscribe.
 */
export class DeviceEventLog {
  private readonly stored: DeviceEvent[] = [];
  private readonly listeners = new Set<DeviceEventListener>();
  private readonly record: boolean;
  private readonly capacity: number;
  private droppedCount = 0;

  constructor(options: DeviceEventLogOptions = {}) {
    this.record = options.record ?? true;
    this.capacity = options.capacity ?? 100_000;
  }

  /** Every recorded event, oldest first. */
  get events(): readonly DeviceEvent[] {
    return this.stored;
  }

  /** Events not stored because the log was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Records `event` and tells every listener. */
  emit(event: DeviceEvent): void {
    if (this.record) {
      if (this.stored.length < this.capacity) this.stored.push(event);
      else this.droppedCount++;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Calls `listener` for every later event; returns the function that unsubscribes it. */
  subscribe(listener: DeviceEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The recorded events of one kind, oldest first. */
  ofKind<K extends DeviceEventKind>(kind: K): readonly Extract<DeviceEvent, { kind: K }>[] {
    return this.stored.filter((e): e is Extract<DeviceEvent, { kind: K }> => e.kind === kind);
  }

  /** Forgets the recorded events (listeners stay). */
  clear(): void {
    this.stored.length = 0;
    this.droppedCount = 0;
  }
}
