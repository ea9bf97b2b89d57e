/**
 * The virtio-mmio transport driver, version 2 only (virtio 1.4 4.2, after
 * Linux 6.1 virtio_mmio.c) over an {@link MmioRegisterAccess}.
 *
 * Control registers are touched with aligned 32-bit accesses only
 * (`mmio.reg.driver.4`); device config with the field's own width
 * (`mmio.reg.driver.5`). The select register is written before every
 * feature word (`mmio.reg.driver.12`, `.13`). A queue is stopped with
 * QueueReady = 0 and read back (`mmio.reg.driver.16`, `.17`).
 *
 * Departures from Linux 6.1, both required by the spec: the reset waits for
 * Status to read 0 (`reset.driver.1`; Linux writes 0 and goes on), and
 * VIRTIO_F_RING_RESET is supported through QueueReset (Linux has no MMIO
 * queue reset).
 *
 * @module
 */

import { type FeatureSet, featureMask, featureWord, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import {
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_QUEUE_DESC_HIGH,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
  VIRTIO_MMIO_QUEUE_DEVICE_LOW,
  VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
  VIRTIO_MMIO_QUEUE_DRIVER_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_RESET,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VENDOR_ID,
  VIRTIO_MMIO_VERSION,
  VIRTIO_MMIO_VERSION_MODERN,
} from '../../../specs/transport/mmio.js';
import type { AccessWidth, MmioInterrupt, MmioRegisterAccess } from '../../transport/register-access.js';
import type { VirtqueueHandle } from './driver-virtqueue.js';
import { type FrontendTransportOptions, TransportCore } from './transport-core.js';
import {
  type DriverVirtqueue,
  ok,
  type RingOptions,
  type VirtioConfigOps,
  virtioError,
  type VirtioResult,
  type VirtqueueRequest,
} from './virtio-config-ops.js';

/** Options of {@link VirtioMmioTransport}. */
export type VirtioMmioTransportOptions = FrontendTransportOptions;

/** Interrupt statistics, for tests and observers. */
export interface MmioInterruptStats {
  /** Handler runs (each reads InterruptStatus). */
  handled: number;
  /** Runs that found InterruptStatus 0 (Linux IRQ_NONE). */
  spurious: number;
  /** QueueReady read back non-zero after a stop. */
  stopNotAcknowledged: number;
}

/** A probed virtio-mmio v2 device; implements {@link VirtioConfigOps}. */
export class VirtioMmioTransport extends TransportCore implements VirtioConfigOps {
  readonly busName = 'mmio';
  /** `vm_setup_vq` leaves the size to the ring code: a power of 2 for split rings only. */
  protected readonly queueSizeRule = 'ring';
  /** RING_RESET through QueueReset. */
  readonly transportFeatures: FeatureSet = featureMask(VIRTIO_F_RING_RESET);
  /** Interrupt counts. */
  readonly stats: MmioInterruptStats = { handled: 0, spurious: 0, stopNotAcknowledged: 0 };
  private lineLevel = false;
  private readonly unsubscribe: () => void;

  private constructor(
    /** The register seam. */
    readonly access: MmioRegisterAccess,
    /** DeviceID register. */
    readonly deviceId: number,
    /** VendorID register. */
    readonly vendorId: number,
    options: VirtioMmioTransportOptions,
  ) {
    super(options);
    this.unsubscribe = access.onInterrupt((i) => this.onInterrupt(i));
  }

  /**
   * Linux `vm_probe`: MagicValue, then Version, then DeviceID
   * (`mmio.init.driver.1..4`). A placeholder (DeviceID 0) is refused
   * before any other register is touched (`mmio.reg.driver.10`).
   */
  static async probe(access: MmioRegisterAccess, options: VirtioMmioTransportOptions): Promise<VirtioResult<VirtioMmioTransport>> {
    const magic = await access.read(VIRTIO_MMIO_MAGIC_VALUE, 4);
    if (magic !== VIRTIO_MMIO_MAGIC) {
      return virtioError('bad-magic', `wrong magic value 0x${magic.toString(16).padStart(8, '0')}`, ['mmio.reg.device.1']);
    }
    const version = await access.read(VIRTIO_MMIO_VERSION, 4);
    if (version !== VIRTIO_MMIO_VERSION_MODERN) {
      return virtioError('bad-version', `version ${version} not supported (legacy virtio-mmio is not implemented)`, version === 1 ? [] : ['mmio.reg.device.2'], -6);
    }
    const deviceId = await access.read(VIRTIO_MMIO_DEVICE_ID, 4);
    if (deviceId === 0) return virtioError('bad-ids', 'DeviceID 0: placeholder without a device');
    const vendorId = await access.read(VIRTIO_MMIO_VENDOR_ID, 4);
    return ok(new VirtioMmioTransport(access, deviceId, vendorId, options));
  }

  private readl(offset: number): Promise<number> {
    return Promise.resolve(this.access.read(offset, 4));
  }

  private async writel(offset: number, value: number): Promise<void> {
    await this.access.write(offset, 4, value >>> 0);
  }

  async getStatus(): Promise<number> {
    return (await this.readl(VIRTIO_MMIO_STATUS)) & 0xff;
  }

  async setStatus(status: number): Promise<void> {
    await this.writel(VIRTIO_MMIO_STATUS, status & 0xff);
  }

  /** Writes 0 to Status and waits until it reads 0 (`reset.driver.1`). */
  async reset(): Promise<VirtioResult<void>> {
    await this.writel(VIRTIO_MMIO_STATUS, 0);
    const done = await this.pollUntil(() => this.getStatus(), (s) => s === 0, this.resetPollLimit);
    await this.irq.synchronize();
    return done ? ok(undefined) : virtioError('reset-timeout', `Status not 0 after ${this.resetPollLimit} reads`);
  }

  async getFeatures(): Promise<FeatureSet> {
    let features = 0n;
    for (let select = 0; select < 3; select++) {
      await this.writel(VIRTIO_MMIO_DEVICE_FEATURES_SEL, select);
      features |= BigInt(await this.readl(VIRTIO_MMIO_DEVICE_FEATURES)) << BigInt(32 * select);
    }
    return features;
  }

  /** Linux `vm_finalize_features`: a version 2 device must negotiate VERSION_1. */
  async finalizeFeatures(features: FeatureSet): Promise<VirtioResult<void>> {
    if (!hasFeature(features, VIRTIO_F_VERSION_1)) {
      return virtioError('version-1-missing', 'virtio-mmio version 2 device without VIRTIO_F_VERSION_1');
    }
    const words = features >> 64n === 0n ? 2 : 3;
    for (let select = 0; select < words; select++) {
      await this.writel(VIRTIO_MMIO_DRIVER_FEATURES_SEL, select);
      await this.writel(VIRTIO_MMIO_DRIVER_FEATURES, featureWord(features, select));
    }
    this.negotiated = features;
    return ok(undefined);
  }

  async get(offset: number, width: AccessWidth): Promise<number> {
    return this.access.read(VIRTIO_MMIO_CONFIG + offset, width);
  }

  async set(offset: number, width: AccessWidth, value: number): Promise<VirtioResult<void>> {
    await this.access.write(VIRTIO_MMIO_CONFIG + offset, width, value);
    return ok(undefined);
  }

  generation(): Promise<number> {
    return this.readl(VIRTIO_MMIO_CONFIG_GENERATION);
  }

  /** Linux `vm_find_vqs`: each queue is set up and made ready in turn. */
  async findVqs<T = unknown>(requests: readonly VirtqueueRequest<T>[], ring: RingOptions): Promise<VirtioResult<readonly DriverVirtqueue<T>[]>> {
    const out: VirtqueueHandle<T>[] = [];
    for (const request of requests) {
      const vq = await this.setupVq(request, ring);
      if (vq.kind !== 'ok') {
        await this.delVqs();
        return vq;
      }
      out.push(vq.value);
    }
    return ok(out);
  }

  /** Linux `vm_setup_vq` (version 2). */
  private async setupVq<T>(request: VirtqueueRequest<T>, ring: RingOptions): Promise<VirtioResult<VirtqueueHandle<T>>> {
    const index = request.index;
    await this.writel(VIRTIO_MMIO_QUEUE_SEL, index);
    if ((await this.readl(VIRTIO_MMIO_QUEUE_READY)) !== 0) return virtioError('queue-busy', `queue ${index}: already ready`, ['mmio.reg.device.5']);
    const max = await this.readl(VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max === 0) return virtioError('queue-unavailable', `queue ${index}: QueueSizeMax reads 0`);
    const built = this.buildQueue(request, max, ring);
    if (built.kind !== 'ok') return built;
    const vq = built.value;
    vq.notifyOffset = VIRTIO_MMIO_QUEUE_NOTIFY;
    await this.activate(vq);
    this.register(vq as VirtqueueHandle<unknown>, ring);
    return ok(vq);
  }

  /** Programs size and areas of queue `vq.index`, then QueueReady = 1. */
  private async activate<T>(vq: VirtqueueHandle<T>): Promise<void> {
    const l = vq.layout;
    await this.writel(VIRTIO_MMIO_QUEUE_SEL, vq.index);
    await this.writel(VIRTIO_MMIO_QUEUE_NUM, l.size);
    await this.writeAddress(VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH, l.descAddr);
    await this.writeAddress(VIRTIO_MMIO_QUEUE_DRIVER_LOW, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, l.driverAddr);
    await this.writeAddress(VIRTIO_MMIO_QUEUE_DEVICE_LOW, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, l.deviceAddr);
    await this.writel(VIRTIO_MMIO_QUEUE_READY, 1);
  }

  private async writeAddress(low: number, high: number, addr: number): Promise<void> {
    const lo = addr >>> 0;
    await this.writel(low, lo);
    await this.writel(high, (addr - lo) / 0x1_0000_0000);
  }

  /** Stops queue `index` with QueueReady = 0 and reads it back; false when it still reads ready. */
  async stopQueue(index: number): Promise<boolean> {
    await this.writel(VIRTIO_MMIO_QUEUE_SEL, index);
    await this.writel(VIRTIO_MMIO_QUEUE_READY, 0);
    const stopped = (await this.readl(VIRTIO_MMIO_QUEUE_READY)) === 0;
    if (!stopped) this.stats.stopNotAcknowledged++;
    return stopped;
  }

  /** Linux `vm_del_vqs`: every queue stopped, then forgotten. */
  async delVqs(): Promise<void> {
    for (const { handle } of this.queues.values()) await this.stopQueue(handle.index);
    this.queues.clear();
  }

  async notify(vq: VirtqueueHandle<unknown>): Promise<boolean> {
    try {
      await this.writel(VIRTIO_MMIO_QUEUE_NOTIFY, vq.notificationData ? vq.notificationWord() : vq.index);
      return true;
    } catch {
      return false;
    }
  }

  /** QueueReset = 1, then wait for QueueReset and QueueReady to read 0 (`mmio.reg.driver.21`). */
  async resetQueue(dvq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>> {
    const vq = this.vq(dvq.index);
    if (vq === undefined) return virtioError('queue-reset-failed', `queue ${dvq.index} is not set up`);
    if (!hasFeature(this.negotiated, VIRTIO_F_RING_RESET)) return virtioError('queue-reset-failed', 'VIRTIO_F_RING_RESET not negotiated', [], -2);
    await this.writel(VIRTIO_MMIO_QUEUE_SEL, vq.index);
    await this.writel(VIRTIO_MMIO_QUEUE_RESET, 1);
    const limit = this.queueResetPollLimit;
    const reset = await this.pollUntil(() => this.readl(VIRTIO_MMIO_QUEUE_RESET), (v) => v === 0, limit);
    const stopped = reset && (await this.pollUntil(() => this.readl(VIRTIO_MMIO_QUEUE_READY), (v) => v === 0, limit));
    if (!stopped) return virtioError('queue-reset-failed', `queue ${vq.index}: reset not complete after ${limit} reads`, ['mmio.reg.device.12']);
    vq.isReset = true;
    await this.irq.synchronize();
    return ok(undefined);
  }

  /** Re-programs and readies a queue after {@link resetQueue} (`mmio.reg.driver.22`). */
  async enableQueue(dvq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>> {
    const vq = this.vq(dvq.index);
    if (vq === undefined || !vq.isReset) return virtioError('queue-busy', `queue ${dvq.index} is not reset`, [], -16);
    await this.writel(VIRTIO_MMIO_QUEUE_SEL, vq.index);
    if ((await this.readl(VIRTIO_MMIO_QUEUE_RESET)) !== 0 || (await this.readl(VIRTIO_MMIO_QUEUE_READY)) !== 0) {
      return virtioError('queue-busy', `queue ${vq.index}: still resetting or ready`, ['mmio.reg.device.12'], -16);
    }
    await this.activate(vq);
    vq.isReset = false;
    return ok(undefined);
  }

  /** Stops interrupt handling and drops the seam subscription. */
  close(): void {
    this.irq.stop();
    this.unsubscribe();
  }

  private onInterrupt(i: MmioInterrupt): void {
    const rising = i.asserted && !this.lineLevel;
    this.lineLevel = i.asserted;
    if (rising) this.irq.schedule(() => this.interrupt());
  }

  /**
   * Linux `vm_interrupt`: read InterruptStatus, acknowledge the bits it
   * handles (`mmio.notif.driver.1..3`, never undefined bits,
   * `mmio.reg.driver.18`, `.20`), then config and every queue.
   */
  private async interrupt(): Promise<void> {
    this.stats.handled++;
    const status = (await this.readl(VIRTIO_MMIO_INTERRUPT_STATUS)) & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
    if (status === 0) {
      this.stats.spurious++;
      return;
    }
    await this.writel(VIRTIO_MMIO_INTERRUPT_ACK, status);
    if ((status & VIRTIO_MMIO_INT_CONFIG) !== 0) this.configChanged();
    if ((status & VIRTIO_MMIO_INT_VRING) !== 0) this.vringInterruptAll();
    // Level-triggered: a line still asserted after the acknowledgement means new events.
    if (this.lineLevel) this.irq.schedule(() => this.interrupt());
  }
}
