/**
 * The modern virtio-pci transport driver (virtio 1.4 4.1, after Linux 6.1
 * virtio_pci_modern.c, virtio_pci_modern_dev.c and virtio_pci_common.c)
 * over a {@link PciRegisterAccess}.
 *
 * Probe: vendor 0x1AF4 and a device ID in 0x1000..0x107F
 * (`pci.disc.driver.1`, `.2`; revision not filtered, `pci.disc.driver.3`),
 * BAR sizing and the capability walk, memory space and bus master enable.
 *
 * Queues: one vector per queue with a callback plus one for config changes;
 * if that fails, one shared queue vector; if that fails, INTx with the ISR
 * (Linux `vp_find_vqs`, `pci.msix.driver.6`). Every vector is read back and
 * NO_VECTOR is a failure (`pci.msix.driver.5`). Queues are enabled only
 * after all of them are programmed (`pci.common.driver.4`); 64-bit fields
 * are written as two 32-bit halves, low first (`pci.layout.driver.1`).
 *
 * @module
 */

import { type FeatureSet, featureMask, featureWord, hasFeature } from '../../../specs/features/feature-set.js';
import {
  VIRTIO_F_NOTIF_CONFIG_DATA,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import {
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_COMMON_CFG_SIZE_1_2,
  VIRTIO_PCI_ISR_CONFIG,
  VIRTIO_PCI_MODERN_DEVICE_ID_BASE,
  VIRTIO_PCI_NOTIFY_DATA_WIDTH,
  VIRTIO_PCI_NOTIFY_WIDTH,
  VIRTIO_PCI_VENDOR_ID,
} from '../../../specs/transport/pci.js';
import type { AccessWidth, PciInterrupt, PciRegisterAccess } from '../../transport/register-access.js';
import { type VirtqueueHandle } from './driver-virtqueue.js';
import {
  findVirtioPciCapabilities,
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_SUBSYSTEM_ID,
  PCI_VENDOR_ID,
  type VirtioPciCapabilities,
} from './pci-capabilities.js';
import { PciCommonCfgAccess } from './pci-common-access.js';
import { disableMsix, enableMsix } from './pci-msix-setup.js';
import { type FrontendTransportOptions, TransportCore, withQueue } from './transport-core.js';
import {
  type DriverVirtqueue,
  ok,
  type RingOptions,
  type VirtioConfigOps,
  virtioError,
  type VirtioResult,
  type VirtqueueRequest,
} from './virtio-config-ops.js';

/** How queue and config interrupts reach the driver. */
export type PciInterruptMode = 'msix-per-vq' | 'msix-shared' | 'intx';

/** Options of {@link VirtioPciModernTransport}. */
export interface VirtioPciModernTransportOptions extends FrontendTransportOptions {
  /** Modes tried in order by `findVqs`. @default ['msix-per-vq', 'msix-shared', 'intx'] (Linux) */
  readonly interruptModes?: readonly PciInterruptMode[];
}

/** Interrupt statistics, for tests and observers. */
export interface PciInterruptStats {
  msix: number;
  intx: number;
  isrReads: number;
  /** Interrupts with nothing to do (Linux IRQ_NONE). */
  spurious: number;
}

const LINUX_MODES: readonly PciInterruptMode[] = ['msix-per-vq', 'msix-shared', 'intx'];
const CONFIG_VECTOR = 0;
const SHARED_VQ_VECTOR = 1;

/** A probed modern virtio-pci function; implements {@link VirtioConfigOps}. */
export class VirtioPciModernTransport extends TransportCore implements VirtioConfigOps {
  readonly busName = 'pci';
  /** `setup_vq` refuses a queue_size that is not a power of 2, whatever the ring format. */
  protected readonly queueSizeRule = 'pci-modern';
  /** Bits 28..40 this transport keeps: RING_RESET when common config has queue_reset (Linux `vp_transport_features`). */
  readonly transportFeatures: FeatureSet;
  /** Interrupt mode chosen by the last successful `findVqs`, or null. */
  mode: PciInterruptMode | null = null;
  /** Interrupt counts. */
  readonly stats: PciInterruptStats = { msix: 0, intx: 0, isrReads: 0, spurious: 0 };
  private msixVectors = 0;
  private intxLevel = false;
  private readonly modes: readonly PciInterruptMode[];
  private readonly unsubscribe: () => void;
  private readonly common: PciCommonCfgAccess;

  private constructor(
    /** The register seam. */
    readonly access: PciRegisterAccess,
    /** Virtio device type. */
    readonly deviceId: number,
    /** What the capability walk found. */
    readonly caps: VirtioPciCapabilities,
    options: VirtioPciModernTransportOptions,
  ) {
    super(options);
    this.modes = options.interruptModes ?? LINUX_MODES;
    this.common = new PciCommonCfgAccess(access, caps.common);
    this.transportFeatures = caps.common.length >= VIRTIO_PCI_COMMON_CFG_SIZE_1_2 ? featureMask(VIRTIO_F_RING_RESET) : 0n;
    this.unsubscribe = access.onInterrupt((i) => this.onInterrupt(i));
  }

  /**
   * Linux `virtio_pci_probe` + `vp_modern_probe`: IDs, capabilities, memory
   * space and bus master enable. Does not touch the virtio registers.
   */
  static async probe(access: PciRegisterAccess, options: VirtioPciModernTransportOptions): Promise<VirtioResult<VirtioPciModernTransport>> {
    const vendor = await access.readConfig(PCI_VENDOR_ID, 2);
    const device = await access.readConfig(PCI_DEVICE_ID, 2);
    if (vendor !== VIRTIO_PCI_VENDOR_ID || device < 0x1000 || device > 0x107f) {
      return virtioError('bad-ids', `PCI ${hex(vendor)}:${hex(device)} is not a virtio device`, ['pci.disc.device.2', 'pci.disc.device.3']);
    }
    // Transitional IDs name the type in the subsystem ID, as the legacy driver always did.
    const deviceId = device >= VIRTIO_PCI_MODERN_DEVICE_ID_BASE ? device - VIRTIO_PCI_MODERN_DEVICE_ID_BASE : await access.readConfig(PCI_SUBSYSTEM_ID, 2);
    const caps = await findVirtioPciCapabilities(access);
    if (caps.kind !== 'ok') return caps;
    const command = await access.readConfig(PCI_COMMAND, 2);
    await access.writeConfig(PCI_COMMAND, 2, command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return ok(new VirtioPciModernTransport(access, deviceId, caps.value, options));
  }

  /** num_queues. */
  numQueues(): Promise<number> {
    return this.common.read('num_queues');
  }

  getStatus(): Promise<number> {
    return this.common.read('device_status');
  }

  async setStatus(status: number): Promise<void> {
    await this.common.write('device_status', status & 0xff);
  }

  /** Linux `vp_reset`: write 0, poll until 0 (`pci.common.driver.5`), flush callbacks. */
  async reset(): Promise<VirtioResult<void>> {
    await this.common.write('device_status', 0);
    const done = await this.pollUntil(() => this.common.read('device_status'), (s) => s === 0, this.resetPollLimit);
    await this.irq.synchronize();
    return done ? ok(undefined) : virtioError('reset-timeout', `device status not 0 after ${this.resetPollLimit} reads`, ['pci.common.device.7']);
  }

  async getFeatures(): Promise<FeatureSet> {
    let features = 0n;
    for (let select = 0; select < 3; select++) {
      await this.common.write('device_feature_select', select);
      features |= BigInt(await this.common.read('device_feature')) << BigInt(32 * select);
    }
    return features;
  }

  /** Linux `vp_finalize_features`: VERSION_1 is required, then both halves are written. */
  async finalizeFeatures(features: FeatureSet): Promise<VirtioResult<void>> {
    if (!hasFeature(features, VIRTIO_F_VERSION_1)) {
      return virtioError('version-1-missing', 'device uses modern interface but does not have VIRTIO_F_VERSION_1');
    }
    const words = features >> 64n === 0n ? 2 : 3;
    for (let select = 0; select < words; select++) {
      await this.common.write('driver_feature_select', select);
      await this.common.write('driver_feature', featureWord(features, select));
    }
    this.negotiated = features;
    return ok(undefined);
  }

  private deviceRegion(offset: number, width: AccessWidth): { bar: number; at: number } {
    const d = this.caps.device;
    if (d === null || offset < 0 || offset + width > Math.min(d.length, 0x1000)) {
      throw new RangeError(`device config access of ${width} bytes at ${offset} outside the device structure`);
    }
    return { bar: d.bar, at: d.offset + offset };
  }

  /** Device config read. @throws RangeError outside the device structure (a driver bug; Linux BUG_ON). */
  async get(offset: number, width: AccessWidth): Promise<number> {
    const r = this.deviceRegion(offset, width);
    return this.access.readBar(r.bar, r.at, width);
  }

  async set(offset: number, width: AccessWidth, value: number): Promise<VirtioResult<void>> {
    const r = this.deviceRegion(offset, width);
    await this.access.writeBar(r.bar, r.at, width, value);
    return ok(undefined);
  }

  generation(): Promise<number> {
    return this.common.read('config_generation');
  }

  // ---- queues ----

  /** Linux `vp_modern_find_vqs`: interrupt modes in turn, then queue_enable = 1 for every queue. */
  async findVqs<T = unknown>(requests: readonly VirtqueueRequest<T>[], ring: RingOptions): Promise<VirtioResult<readonly DriverVirtqueue<T>[]>> {
    let last: VirtioResult<readonly VirtqueueHandle<T>[]> = virtioError('vector-failed', 'no interrupt mode to try');
    for (const mode of this.modes) {
      last = await this.findVqsIn(mode, requests, ring);
      if (last.kind === 'ok') break;
    }
    if (last.kind !== 'ok') return last;
    for (const vq of last.value) {
      await this.common.write('queue_select', vq.index);
      await this.common.write('queue_enable', 1);
    }
    return last;
  }

  private async findVqsIn<T>(mode: PciInterruptMode, requests: readonly VirtqueueRequest<T>[], ring: RingOptions): Promise<VirtioResult<readonly VirtqueueHandle<T>[]>> {
    const msix = this.caps.msix;
    if (mode !== 'intx') {
      const vectors = mode === 'msix-per-vq' ? 1 + requests.filter((r) => r.callback !== null).length : 2;
      if (msix === null || !(await enableMsix(this.access, msix, vectors))) {
        return virtioError('vector-failed', `MSI-X needs ${vectors} vectors, table has ${msix?.tableSize ?? 0}`, [], -28);
      }
      this.msixVectors = vectors;
      this.mode = mode;
      await this.common.write('config_msix_vector', CONFIG_VECTOR);
      if ((await this.common.read('config_msix_vector')) === VIRTIO_MSI_NO_VECTOR) {
        await this.delVqs();
        return virtioError('vector-failed', 'config_msix_vector read back NO_VECTOR', ['pci.msix.device.8']);
      }
    } else {
      this.mode = 'intx';
    }
    const out: VirtqueueHandle<T>[] = [];
    let next = CONFIG_VECTOR + 1;
    for (const request of requests) {
      const vector = mode === 'intx' || request.callback === null ? VIRTIO_MSI_NO_VECTOR : mode === 'msix-per-vq' ? next++ : SHARED_VQ_VECTOR;
      const vq = await this.setupVq(request, ring, vector);
      if (vq.kind !== 'ok') {
        await this.delVqs();
        return vq;
      }
      out.push(vq.value);
    }
    return ok(out);
  }

  /** Linux `setup_vq` + `vp_active_vq` for modern PCI. */
  private async setupVq<T>(request: VirtqueueRequest<T>, ring: RingOptions, vector: number): Promise<VirtioResult<VirtqueueHandle<T>>> {
    const index = request.index;
    if (index >= (await this.numQueues())) return virtioError('queue-unavailable', `queue ${index}: beyond num_queues`);
    await this.common.write('queue_select', index);
    const max = await this.common.read('queue_size');
    if (max === 0) return virtioError('queue-unavailable', `queue ${index}: queue_size reads 0`);
    if ((await this.common.read('queue_enable')) !== 0) return virtioError('queue-busy', `queue ${index}: already enabled`, ['pci.common.device.8']);
    const built = this.buildQueue(request, max, ring);
    if (built.kind !== 'ok') return built;
    const vq = built.value;
    vq.vector = vector === VIRTIO_MSI_NO_VECTOR ? -1 : vector;
    const active = await this.activate(vq);
    if (active.kind !== 'ok') return active;
    const off = await this.common.read('queue_notify_off');
    const width = ring.notificationData ? VIRTIO_PCI_NOTIFY_DATA_WIDTH : VIRTIO_PCI_NOTIFY_WIDTH;
    const n = this.caps.notify;
    if (off * n.multiplier + width > n.length) {
      return virtioError('capability-invalid', `queue ${index}: notify offset ${off * n.multiplier} past the notify structure`, [
        ring.notificationData ? 'pci.notify.device.9' : 'pci.notify.device.5',
      ]);
    }
    vq.notifyOffset = n.offset + off * n.multiplier;
    vq.notifyValue = hasFeature(this.negotiated, VIRTIO_F_NOTIF_CONFIG_DATA) ? await this.common.read('queue_notif_config_data') : index;
    this.register(vq as VirtqueueHandle<unknown>, ring);
    return ok(vq);
  }

  /** Programs size, areas and vector of the selected queue (Linux `vp_active_vq`). */
  private async activate<T>(vq: VirtqueueHandle<T>): Promise<VirtioResult<void>> {
    const layout = vq.layout;
    await this.common.write('queue_select', vq.index);
    await this.common.write('queue_size', layout.size);
    await this.common.write64('queue_desc', layout.descAddr);
    await this.common.write64('queue_driver', layout.driverAddr);
    await this.common.write64('queue_device', layout.deviceAddr);
    if (vq.vector >= 0) {
      await this.common.write('queue_msix_vector', vq.vector);
      if ((await this.common.read('queue_msix_vector')) === VIRTIO_MSI_NO_VECTOR) {
        return withQueue(virtioError('vector-failed', `queue_msix_vector ${vq.vector} read back NO_VECTOR`, ['pci.msix.device.8']), vq.index);
      }
    }
    return ok(undefined);
  }

  /** Linux `vp_del_vqs`: unmap vectors, forget queues, free MSI-X. */
  async delVqs(): Promise<void> {
    const msixOn = this.mode === 'msix-per-vq' || this.mode === 'msix-shared';
    for (const { handle } of this.queues.values()) {
      if (msixOn) {
        await this.common.write('queue_select', handle.index);
        await this.common.write('queue_msix_vector', VIRTIO_MSI_NO_VECTOR);
      }
    }
    this.queues.clear();
    if (msixOn && this.caps.msix !== null) {
      await this.common.write('config_msix_vector', VIRTIO_MSI_NO_VECTOR);
      await disableMsix(this.access, this.caps.msix, this.msixVectors);
    }
    this.msixVectors = 0;
    this.mode = null;
  }

  async notify(vq: VirtqueueHandle<unknown>): Promise<boolean> {
    const bar = this.caps.notify.bar;
    try {
      if (vq.notificationData) {
        const word = vq.notificationWord();
        await this.access.writeBar(bar, vq.notifyOffset, 4, ((word & 0xffff_0000) | vq.notifyValue) >>> 0);
      } else {
        await this.access.writeBar(bar, vq.notifyOffset, 2, vq.notifyValue);
      }
      return true;
    } catch {
      return false;
    }
  }

  /** Linux `vp_modern_disable_vq_and_reset`: queue_reset = 1, wait for queue_reset and queue_enable to read 0. */
  async resetQueue(dvq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>> {
    const vq = this.vq(dvq.index);
    if (vq === undefined) return virtioError('queue-reset-failed', `queue ${dvq.index} is not set up`);
    if (!hasFeature(this.negotiated, VIRTIO_F_RING_RESET)) return virtioError('queue-reset-failed', 'VIRTIO_F_RING_RESET not negotiated', [], -2);
    await this.common.write('queue_select', vq.index);
    await this.common.write('queue_reset', 1);
    const limit = this.queueResetPollLimit;
    const reset = await this.pollUntil(() => this.common.read('queue_reset'), (v) => v === 0, limit);
    const disabled = reset && (await this.pollUntil(() => this.common.read('queue_enable'), (v) => v === 0, limit));
    if (!disabled) return virtioError('queue-reset-failed', `queue ${vq.index}: reset not complete after ${limit} reads`, ['pci.common.device.13']);
    vq.isReset = true;
    await this.irq.synchronize();
    return ok(undefined);
  }

  /** Linux `vp_modern_enable_vq_after_reset`. */
  async enableQueue(dvq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>> {
    const vq = this.vq(dvq.index);
    if (vq === undefined || !vq.isReset) return virtioError('queue-busy', `queue ${dvq.index} is not reset`, [], -16);
    await this.common.write('queue_select', vq.index);
    if ((await this.common.read('queue_reset')) !== 0 || (await this.common.read('queue_enable')) !== 0) {
      return virtioError('queue-busy', `queue ${vq.index}: still resetting or enabled`, ['pci.common.device.13'], -16);
    }
    const active = await this.activate(vq);
    if (active.kind !== 'ok') return active;
    vq.isReset = false;
    await this.common.write('queue_enable', 1);
    return ok(undefined);
  }

  /** Stops interrupt handling and drops the seam subscription. */
  close(): void {
    this.irq.stop();
    this.unsubscribe();
  }

  // ---- interrupts ----

  private onInterrupt(i: PciInterrupt): void {
    if (i.kind === 'msix') {
      this.stats.msix++;
      this.irq.schedule(() => this.msixInterrupt(i.vector));
      return;
    }
    const rising = i.asserted && !this.intxLevel;
    this.intxLevel = i.asserted;
    if (rising && this.mode === 'intx') this.irq.schedule(() => this.intxInterrupt());
  }

  private msixInterrupt(vector: number): void {
    let handled = false;
    if (vector === CONFIG_VECTOR && this.mode !== 'intx') {
      this.configChanged();
      handled = true;
    }
    if (this.mode === 'msix-shared' && vector === SHARED_VQ_VECTOR) handled = this.vringInterruptAll() || handled;
    if (this.mode === 'msix-per-vq') {
      for (const { handle } of this.queues.values()) if (handle.vector === vector && handle.interrupt()) handled = true;
    }
    if (!handled) this.stats.spurious++;
  }

  /** Linux `vp_interrupt`: read (and so clear) the ISR, then config and every queue. */
  private async intxInterrupt(): Promise<void> {
    this.stats.intx++;
    this.stats.isrReads++;
    const isr = await this.access.readBar(this.caps.isr.bar, this.caps.isr.offset, 1);
    if (isr === 0) {
      this.stats.spurious++;
      return;
    }
    if ((isr & VIRTIO_PCI_ISR_CONFIG) !== 0) this.configChanged();
    this.vringInterruptAll();
    // Level-triggered: a line still asserted after the ISR read means new events.
    if (this.intxLevel && this.mode === 'intx') this.irq.schedule(() => this.intxInterrupt());
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
