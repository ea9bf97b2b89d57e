/**
 * The transport-agnostic virtio device core: device status, feature
 * negotiation, queue registers, notifications in, interrupts out, config
 * generation. Both transport models (PCI modern, MMIO v2) drive it through
 * the same register-level methods; a device type plugs in as a
 * {@link VirtioDeviceBackend}. The feature registers and the FEATURES_OK
 * decision live in {@link FeatureWindow}, the queue registers in
 * {@link QueueRegisterFile}; this module holds the status machine and ties
 * them together.
 *
 * Decisions where the spec leaves room (each documented at its option):
 * - reset completes at once unless {@link VirtioDeviceOptions.resetDelayReads} says otherwise;
 * - config_generation is not reset by a device reset: it keeps counting, so
 *   a driver that straddles a reset still sees a change (`pci.common.device.6`);
 * - a config change before DRIVER_OK bumps the generation but raises no
 *   interrupt (the driver is not listening yet; QEMU does the same);
 * - device status bits are sticky: a write that would clear a set bit is a
 *   driver error (`status.driver.2`) and the bit stays set;
 * - DRIVER_OK without an accepted FEATURES_OK sets DEVICE_NEEDS_RESET: the
 *   device has no legacy interface to fall back to;
 * - VIRTIO_F_SUSPEND and VIRTIO_F_ADMIN_VQ are not implemented and never offered.
 *
 * @module
 */

import type { FeatureSet } from '../../specs/features/feature-set.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_CONFIG_S_SUSPEND,
} from '../../specs/status.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { AccessWidth, DeviceContext, VirtioDeviceBackend } from './backend.js';
import { createDeviceQueue, type DeviceQueueFactory } from './device-queue.js';
import { DeviceEventLog, type DeviceCounters, type NeedsResetReason, newDeviceCounters } from './events.js';
import { type FeatureAcceptancePolicy, STRICT_FEATURE_ACCEPTANCE } from './feature-acceptance.js';
import { type DriverFeatureReadback, FeatureWindow } from './feature-window.js';
import { QueueRegisterFile } from './queue-register-file.js';
import type { TransportBinding } from './transport-binding.js';

/** Status bits the driver sets; DEVICE_NEEDS_RESET is the device's, SUSPEND unsupported. */
const DRIVER_BITS =
  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED;

/** Options of {@link VirtioDevice}. */
export interface VirtioDeviceOptions {
  /** How FEATURES_OK is answered. @default STRICT_FEATURE_ACCEPTANCE */
  readonly featureAcceptance?: FeatureAcceptancePolicy;
  /**
   * What driver_feature reads back before FEATURES_OK: `'mirror'` the bits
   * written, `'offered-only'` only the offered ones (`pci.common.device.4`,
   * `pci.common.device.5`). After FEATURES_OK it reads the negotiated set.
   * @default 'mirror'
   */
  readonly driverFeatureReadback?: DriverFeatureReadback;
  /**
   * Status reads that still show the old status after a reset write, to
   * test that a driver waits for 0 (`pci.common.driver.5`, `reset.driver.1`).
   * Status writes in that window are ignored and reported.
   * @default 0
   */
  readonly resetDelayReads?: number;
  /** queue_reset / QueueReset reads that show 1 after a queue reset (`pci.common.device.12`). @default 0 */
  readonly queueResetDelayReads?: number;
  /** The event log to write into (shared with the transport). @default a new DeviceEventLog */
  readonly events?: DeviceEventLog;
  /** Builds device-side queues. @default createDeviceQueue (the ring engine) */
  readonly queueFactory?: DeviceQueueFactory;
}

/** The virtio device core. Create it, then attach exactly one transport model. */
export class VirtioDevice {
  /** Shared event log. */
  readonly events: DeviceEventLog;
  /** Counters, shared with the transport. */
  readonly counters: DeviceCounters = newDeviceCounters();
  /** The context handed to the backend (stable for the life of the device). */
  readonly context: DeviceContext;
  /** The virtqueue registers behind queue_select / QueueSel. */
  readonly queueRegisters: QueueRegisterFile;
  /** The feature registers and the negotiation state behind them. */
  readonly featureWindow: FeatureWindow;

  private binding: TransportBinding | null = null;
  private statusValue = 0;
  private shownDuringReset = 0;
  private resetReadsLeft = 0;
  private activated = false;
  private generation = 0;
  private resetReason: NeedsResetReason | null = null;

  constructor(
    /** The device type. */
    readonly backend: VirtioDeviceBackend,
    /** Guest memory the rings live in. */
    readonly memory: GuestMemory,
    private readonly options: VirtioDeviceOptions = {},
  ) {
    this.events = options.events ?? new DeviceEventLog();
    const self = this;
    this.featureWindow = new FeatureWindow(
      {
        events: this.events,
        counters: this.counters,
        offer: () => backend.offeredFeatures & ~(self.binding?.unsupportedFeatures ?? 0n),
        validate: (f) => backend.validateFeatures(f),
        violation: (clause, message) => self.violation(clause, message),
      },
      options.featureAcceptance ?? STRICT_FEATURE_ACCEPTANCE,
      options.driverFeatureReadback,
    );
    const featureWindow = this.featureWindow;
    this.queueRegisters = new QueueRegisterFile({
      memory,
      backend,
      events: this.events,
      counters: this.counters,
      queueFactory: options.queueFactory ?? createDeviceQueue,
      live: () => self.live,
      featuresAccepted: () => featureWindow.featuresOk,
      features: () => featureWindow.current,
      clause: (pci, mmio) => self.pick(pci, mmio),
      violation: (clause, message) => self.violation(clause, message),
      fail: (reason) => self.fail(reason),
      transportQueueReset: (queue) => self.binding?.queueReset(queue),
      queueResetDelayReads: () => options.queueResetDelayReads ?? 0,
    });
    this.context = {
      memory,
      get features() {
        return featureWindow.negotiated;
      },
      get live() {
        return self.live;
      },
      queue: (i) => (self.live ? (self.queueRegisters.at(i)?.engine ?? undefined) : undefined),
      raiseUsedBufferNotification: (i) => self.raiseUsedBufferNotification(i),
      configChanged: () => self.configChanged(),
      fail: (reason) => self.fail(reason),
      violation: (clause, message) => self.violation(clause, message),
      counters: this.counters,
    };
    backend.attach?.(this.context);
  }

  /** Binds the transport model; called once by its constructor. @throws Error when a transport is already attached. */
  attachTransport(binding: TransportBinding): void {
    if (this.binding !== null) throw new Error('a transport is already attached to this device');
    this.binding = binding;
  }

  /** Features offered to the driver: the backend's minus what the core and transport cannot carry. */
  get offeredFeatures(): FeatureSet {
    return this.featureWindow.offered;
  }
  /** Bits the driver has written so far (before masking). */
  get driverFeatures(): FeatureSet {
    return this.featureWindow.driverFeatures;
  }
  /** The negotiated set; 0n until FEATURES_OK was kept. */
  get negotiatedFeatures(): FeatureSet {
    return this.featureWindow.negotiated;
  }
  /** The device status as the device holds it (reads may lag during a delayed reset). */
  get status(): number {
    return this.statusValue;
  }
  /** config_generation (32 bits; PCI shows the low 8). */
  get configGeneration(): number {
    return this.generation;
  }
  /** Why DEVICE_NEEDS_RESET is set, or null. */
  get needsResetReason(): NeedsResetReason | null {
    return this.resetReason;
  }
  /** num_queues. */
  get numQueues(): number {
    return this.queueRegisters.count;
  }
  /** Live: DRIVER_OK accepted, and no DEVICE_NEEDS_RESET or FAILED since. */
  get live(): boolean {
    return this.activated && (this.statusValue & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)) === 0;
  }

  // ---- device status ----

  /** Driver read of device_status / Status. */
  readStatus(): number {
    if (this.resetReadsLeft > 0) {
      this.resetReadsLeft--;
      return this.shownDuringReset;
    }
    return this.statusValue;
  }

  /** Driver write of device_status / Status (`reset.device.1`, `features.device.3`, `status.driver.2`, `init.driver.1`). */
  writeStatus(written: number): void {
    const value = written & 0xff;
    const before = this.statusValue;
    this.counters.statusWrites++;
    if (this.resetReadsLeft > 0) {
      this.violation(this.pick('pci.common.driver.5', 'reset.driver.1'), 'device status written before the reset read back 0');
      this.events.emit({ kind: 'status-write', written: value, before, after: before });
      return;
    }
    if (value === 0) {
      this.reset();
      this.events.emit({ kind: 'status-write', written: value, before, after: 0 });
      return;
    }
    if ((before & DRIVER_BITS & ~value) !== 0) this.violation('status.driver.2', 'driver cleared a device status bit without a reset');
    if ((value & VIRTIO_CONFIG_S_SUSPEND) !== 0 && (before & VIRTIO_CONFIG_S_SUSPEND) === 0) {
      this.violation('suspend.driver.1', 'SUSPEND set but VIRTIO_F_SUSPEND is never offered');
    }
    let next = before | (value & DRIVER_BITS);
    const added = next & ~before;
    if ((added & VIRTIO_CONFIG_S_DRIVER) !== 0 && (next & VIRTIO_CONFIG_S_ACKNOWLEDGE) === 0) {
      this.violation('init.driver.1a', 'DRIVER set before ACKNOWLEDGE');
    }
    if ((added & VIRTIO_CONFIG_S_FEATURES_OK) !== 0) {
      if ((next & VIRTIO_CONFIG_S_DRIVER) === 0) this.violation('init.driver.1', 'FEATURES_OK set before DRIVER');
      if (this.featureWindow.negotiate()) this.queueRegisters.applyNegotiatedLayout(this.featureWindow.negotiated);
      else next &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    }
    this.statusValue = next;
    this.events.emit({ kind: 'status-write', written: value, before, after: next });
    if ((added & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) this.driverOk();
  }

  private driverOk(): void {
    if (!this.featureWindow.featuresOk) {
      this.violation('init.driver.1', 'DRIVER_OK set without an accepted FEATURES_OK');
      this.fail({ kind: 'driver-error', clause: 'init.driver.1', message: 'DRIVER_OK without FEATURES_OK' });
      return;
    }
    if ((this.statusValue & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)) !== 0) return;
    if (!this.queueRegisters.buildEnabled()) return;
    this.activated = true;
    this.events.emit({ kind: 'activated', features: this.featureWindow.negotiated });
    this.backend.activate(this.context);
  }

  private reset(): void {
    const shown = this.statusValue;
    this.backend.reset();
    this.statusValue = 0;
    this.featureWindow.reset();
    this.activated = false;
    this.resetReason = null;
    this.queueRegisters.reset();
    this.binding?.deviceReset();
    this.counters.resets++;
    this.events.emit({ kind: 'reset' });
    this.resetReadsLeft = this.options.resetDelayReads ?? 0;
    this.shownDuringReset = shown;
  }

  // ---- features (see FeatureWindow) ----

  /** device_feature_select / DeviceFeaturesSel. */
  get deviceFeatureSelect(): number {
    return this.featureWindow.deviceFeatureSelect;
  }
  set deviceFeatureSelect(select: number) {
    this.featureWindow.deviceFeatureSelect = select;
  }
  /** driver_feature_select / DriverFeaturesSel. */
  get driverFeatureSelect(): number {
    return this.featureWindow.driverFeatureSelect;
  }
  set driverFeatureSelect(select: number) {
    this.featureWindow.driverFeatureSelect = select;
  }

  /** See {@link FeatureWindow.readDeviceFeatures} (`pci.common.device.3`). */
  readDeviceFeatures(): number {
    return this.featureWindow.readDeviceFeatures();
  }

  /** See {@link FeatureWindow.readDriverFeatures} (`pci.common.device.4`, `pci.common.device.5`). */
  readDriverFeatures(): number {
    return this.featureWindow.readDriverFeatures();
  }

  /** See {@link FeatureWindow.writeDriverFeatures} (`init.driver.4`). */
  writeDriverFeatures(value: number): void {
    this.featureWindow.writeDriverFeatures(value);
  }

  // ---- config space ----

  /** Device-specific config read; past the end reads all-ones, like QEMU (qemu-qtest.md §2.2). */
  readConfig(offset: number, width: AccessWidth): number {
    if (offset % width !== 0) this.violation(this.pick('pci.layout.driver.1', 'mmio.reg.driver.5'), `config read of ${width} bytes at ${offset} is misaligned`);
    if (offset + width > this.backend.configSize) return width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1;
    return this.backend.readConfig(offset, width);
  }

  /** Device-specific config write; before FEATURES_OK it is reported (`init.driver.3`) but still passed on. */
  writeConfig(offset: number, width: AccessWidth, value: number): void {
    if (offset % width !== 0) this.violation(this.pick('pci.layout.driver.1', 'mmio.reg.driver.5'), `config write of ${width} bytes at ${offset} is misaligned`);
    if (offset + width > this.backend.configSize) return this.violation(null, `config write at ${offset} past the config space; ignored`);
    if (!this.featureWindow.featuresOk) this.violation('init.driver.3', 'device config written before FEATURES_OK');
    this.backend.writeConfig(offset, width, value);
  }

  // ---- notifications and interrupts ----

  /** An available-buffer notification for `queue`; forwarded only to a live, enabled queue (`status.device.1`). */
  notify(queue: number, data: number): void {
    this.counters.notifications++;
    const q = this.queueRegisters.at(queue);
    let forwarded = false;
    if ((this.statusValue & VIRTIO_CONFIG_S_DRIVER_OK) === 0) {
      this.violation('init.driver.7', `notification for queue ${queue} before DRIVER_OK`);
    } else if (q === undefined || !q.enabled) {
      this.violation(null, `notification for queue ${queue}, which is not enabled`);
    } else {
      forwarded = this.live;
    }
    this.events.emit({ kind: 'notification', queue, data: data >>> 0, forwarded });
    if (forwarded) this.backend.notify(queue, data >>> 0);
    else this.counters.notificationsDropped++;
  }

  /** See {@link DeviceContext.raiseUsedBufferNotification}. */
  raiseUsedBufferNotification(queue: number): void {
    this.counters.usedBufferInterrupts++;
    const binding = this.live && this.queueRegisters.at(queue)?.enabled === true ? this.binding : null;
    const delivery = binding?.deliverUsedBuffer(queue) ?? ({ kind: 'none', reason: 'not-live' } as const);
    if (delivery.kind === 'none') this.counters.interruptsSuppressed++;
    this.events.emit({ kind: 'interrupt', cause: 'used-buffer', queue, delivery });
  }

  /** See {@link DeviceContext.configChanged}. */
  configChanged(): void {
    this.generation = (this.generation + 1) >>> 0;
    this.counters.configChanges++;
    this.events.emit({ kind: 'config-change', generation: this.generation });
    if ((this.statusValue & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) this.raiseConfigInterrupt();
  }

  /** See {@link DeviceContext.fail} (`status.device.2`, `status.device.3`). */
  fail(reason: NeedsResetReason): void {
    this.events.emit({ kind: 'needs-reset', reason });
    if ((this.statusValue & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return;
    this.resetReason = reason;
    this.statusValue |= VIRTIO_CONFIG_S_NEEDS_RESET;
    this.counters.needsReset++;
    if ((this.statusValue & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) this.raiseConfigInterrupt();
  }

  private raiseConfigInterrupt(): void {
    this.counters.configInterrupts++;
    const delivery = this.binding?.deliverConfigChange() ?? ({ kind: 'none', reason: 'not-live' } as const);
    if (delivery.kind === 'none') this.counters.interruptsSuppressed++;
    this.events.emit({ kind: 'interrupt', cause: 'config-change', queue: -1, delivery });
  }

  /** Reports a driver rule violation seen by the core or the transport. */
  violation(clause: string | null, message: string): void {
    this.counters.driverViolations++;
    this.events.emit({ kind: 'driver-violation', clause, message });
  }

  /** Reports a refused register access (bad width, alignment, offset, read-only target) as a violation. */
  registerError(clause: string | null, message: string): void {
    this.counters.registerErrors++;
    this.violation(clause, message);
  }

  private pick<P extends string | null, M extends string | null>(pci: P, mmio: M): P | M {
    return this.binding?.transport === 'mmio' ? mmio : pci;
  }
}
