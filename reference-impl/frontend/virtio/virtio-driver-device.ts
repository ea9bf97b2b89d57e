/**
 * The driver-side virtio core (Linux 6.1 drivers/virtio/virtio.c and the
 * include/linux/virtio_config.h helpers): binds a {@link VirtioDriver} to a
 * device reached through a {@link VirtioConfigOps} transport.
 *
 * Probe (linux-driver-facts §1.1-§1.2, `init.driver.1`): reset and wait
 * (`reset.driver.1`), ACKNOWLEDGE, DRIVER, read the device features, keep
 * the driver's table ∩ the offered bits (`features.driver.1`, `.4`) plus the
 * offered transport bits 28..40, filter those as `vring_transport_features`
 * does, write them, run the driver's `validate` (writing again if it cleared
 * bits), FEATURES_OK and read it back (`init.driver.4a`), the driver's
 * `probe`, DRIVER_OK (`init.driver.4b`), then config-change delivery. Any
 * failure sets FAILED and stops (`init.driver.5`, `.6`).
 *
 * @module
 */

import { type FeatureSet, featureMask, hasFeature, withoutFeature } from '../../../specs/features/feature-set.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
} from '../../../specs/status.js';
import { VirtqueueHandle } from './driver-virtqueue.js';
import {
  type AccessWidth,
  type DriverVirtqueue,
  ok,
  type RingOptions,
  type VirtioConfigOps,
  type VirtioDevice,
  type VirtioDriver,
  type VirtioError,
  virtioError,
  type VirtioResult,
  type VirtqueueRequest,
} from './virtio-config-ops.js';

/** First transport feature bit (Linux `VIRTIO_TRANSPORT_F_START`). */
export const VIRTIO_TRANSPORT_F_START = 28;
/** One past the last transport feature bit (Linux `VIRTIO_TRANSPORT_F_END`). */
export const VIRTIO_TRANSPORT_F_END = 41;

/** The transport bits Linux 6.1 `vring_transport_features` keeps (§1.2). */
export const VRING_TRANSPORT_FEATURES: FeatureSet = featureMask(
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_ORDER_PLATFORM,
);

const TRANSPORT_RANGE: FeatureSet = ((1n << BigInt(VIRTIO_TRANSPORT_F_END)) - 1n) & ~((1n << BigInt(VIRTIO_TRANSPORT_F_START)) - 1n);

/** Options of {@link VirtioDriverDevice}. */
export interface VirtioDriverDeviceOptions {
  /**
   * Transport bits to keep besides Linux's own, e.g. IN_ORDER and
   * NOTIFICATION_DATA, which Linux 6.1 never negotiates. @default none
   */
  readonly extraTransportFeatures?: FeatureSet;
  /** Generation-loop rounds before a config read gives up (`config.driver.2`). @default 64 */
  readonly configRetryLimit?: number;
  /** Entries per indirect table. @default 32 */
  readonly indirectMaxEntries?: number;
}

/**
 * The transport-bit filter of `finalize_features`: bits 28..40 outside
 * Linux's list, the transport's own and `extra` are cleared; other bits stay.
 */
export function filterTransportFeatures(features: FeatureSet, transport: FeatureSet, extra: FeatureSet = 0n): FeatureSet {
  const keep = VRING_TRANSPORT_FEATURES | transport | extra;
  return features & ~(TRANSPORT_RANGE & ~keep);
}

/** A device as the front end's drivers see it; implements {@link VirtioDevice}. */
export class VirtioDriverDevice implements VirtioDevice {
  private deviceFeatureSet: FeatureSet = 0n;
  private featureSet: FeatureSet = 0n;
  private driverValue: VirtioDriver | null = null;
  private queues: DriverVirtqueue<unknown>[] = [];
  private configEnabled = false;
  private configPending = false;
  private readonly extra: FeatureSet;
  private readonly retryLimit: number;
  private readonly indirectMaxEntries: number;
  /** Feature sets written to the device during the last probe, in order (one or two, §1.1 step 7). */
  readonly featureWrites: FeatureSet[] = [];
  /** Linux WARN_ON conditions met (e.g. DRIVER_OK set twice, device not reset by remove). */
  readonly warnings: string[] = [];
  /** Config changes delivered to the driver. */
  configChanges = 0;

  constructor(
    /** The transport driver. */
    readonly config: VirtioConfigOps,
    options: VirtioDriverDeviceOptions = {},
  ) {
    this.extra = options.extraTransportFeatures ?? 0n;
    this.retryLimit = options.configRetryLimit ?? 64;
    this.indirectMaxEntries = options.indirectMaxEntries ?? 32;
    config.onConfigChanged(() => this.configChangedInterrupt());
  }

  get deviceFeatures(): FeatureSet {
    return this.deviceFeatureSet;
  }
  get features(): FeatureSet {
    return this.featureSet;
  }
  /** The bound driver, or null. */
  get driver(): VirtioDriver | null {
    return this.driverValue;
  }
  get vqs(): readonly DriverVirtqueue<unknown>[] {
    return this.queues;
  }

  hasFeature(bit: number): boolean {
    return hasFeature(this.featureSet, bit);
  }

  clearFeature(bit: number): void {
    this.featureSet = withoutFeature(this.featureSet, bit);
  }

  getStatus(): Promise<number> {
    return this.config.getStatus();
  }

  /** Linux `virtio_add_status`: read, OR, write. */
  async addStatus(bits: number): Promise<void> {
    await this.config.setStatus((await this.config.getStatus()) | bits);
  }

  resetDevice(): Promise<VirtioResult<void>> {
    return this.config.reset();
  }

  /**
   * Linux `register_virtio_device` + `virtio_dev_probe`. On failure the
   * status keeps what was reached plus FAILED, and the device is not reset
   * (Linux does not either; `status.driver.3` makes the next user reset it).
   */
  async probe(driver: VirtioDriver): Promise<VirtioResult<void>> {
    this.featureWrites.length = 0;
    this.configEnabled = false;
    this.configPending = false;
    const reset = await this.config.reset();
    if (reset.kind !== 'ok') return reset;
    await this.addStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    if (driver.deviceId !== undefined && driver.deviceId !== this.config.deviceId) {
      return virtioError('bad-ids', `driver ${driver.name} binds device type ${driver.deviceId}, not ${this.config.deviceId}`);
    }
    this.driverValue = driver;
    await this.addStatus(VIRTIO_CONFIG_S_DRIVER);
    this.deviceFeatureSet = await this.config.getFeatures();
    let features = featureMask(...driver.featureTable) & this.deviceFeatureSet;
    features |= this.deviceFeatureSet & TRANSPORT_RANGE;
    this.featureSet = features;
    const first = await this.finalize();
    if (first !== null) return this.fail(first);
    if (driver.validate !== undefined) {
      const before = this.featureSet;
      const refused = await driver.validate(this);
      if (refused !== null) return this.fail(refused);
      if (this.featureSet !== before) {
        const again = await this.finalize();
        if (again !== null) return this.fail(again);
      }
    }
    const featuresOk = await this.featuresOk();
    if (featuresOk !== null) return this.fail(featuresOk);
    const probed = await driver.probe(this);
    if (probed !== null) return this.fail(probed);
    if (((await this.config.getStatus()) & VIRTIO_CONFIG_S_DRIVER_OK) === 0) await this.deviceReady();
    this.configEnable();
    return ok(undefined);
  }

  /** Linux `virtio_finalize_features` as far as the core goes: filter, then the transport writes. */
  private async finalize(): Promise<VirtioError | null> {
    this.featureSet = filterTransportFeatures(this.featureSet, this.config.transportFeatures, this.extra);
    this.featureWrites.push(this.featureSet);
    const written = await this.config.finalizeFeatures(this.featureSet);
    return written.kind === 'ok' ? null : written;
  }

  /** Linux `virtio_features_ok`: set FEATURES_OK and read it back (`init.driver.4a`). */
  private async featuresOk(): Promise<VirtioError | null> {
    await this.addStatus(VIRTIO_CONFIG_S_FEATURES_OK);
    const status = await this.config.getStatus();
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) !== 0) return null;
    return virtioError('features-refused', `virtio: device refuses features: ${this.featureSet.toString(16)}`);
  }

  /** Sets FAILED and unbinds the driver, as a failed Linux probe leaves `dev->driver` unset (`init.driver.5`, `.6`). */
  private async fail(error: VirtioError): Promise<VirtioError> {
    this.driverValue = null;
    await this.addStatus(VIRTIO_CONFIG_S_FAILED);
    return error;
  }

  /** Linux `virtio_device_ready`: flush callbacks, unbreak the queues, set DRIVER_OK. */
  async deviceReady(): Promise<void> {
    const status = await this.config.getStatus();
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) this.warnings.push('DRIVER_OK already set');
    await this.config.synchronizeCbs();
    for (const vq of this.queues) if (vq instanceof VirtqueueHandle) vq.unbreak();
    await this.config.setStatus(status | VIRTIO_CONFIG_S_DRIVER_OK);
  }

  /**
   * Linux `virtio_dev_remove`: stop config delivery, the driver's `remove`
   * (which must reset the device), then ACKNOWLEDGE again.
   */
  async remove(): Promise<void> {
    const driver = this.driverValue;
    this.configDisable();
    if (driver?.remove !== undefined) await driver.remove(this);
    if ((await this.config.getStatus()) !== 0) this.warnings.push('Driver should have reset device');
    this.driverValue = null;
    await this.addStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  }

  /** Linux `virtio_break_device`: every queue fails from now on (surprise removal, fatal device error). */
  breakDevice(reason = 'device broken'): void {
    for (const vq of this.queues) if (vq instanceof VirtqueueHandle) vq.markBroken(reason);
  }

  /** The ring options the negotiated features select (Linux `vring_create_virtqueue` arguments). */
  ringOptions(): RingOptions {
    return {
      format: this.hasFeature(VIRTIO_F_RING_PACKED) ? 'packed' : 'split',
      eventIdx: this.hasFeature(VIRTIO_F_EVENT_IDX),
      indirect: this.hasFeature(VIRTIO_F_INDIRECT_DESC),
      inOrder: this.hasFeature(VIRTIO_F_IN_ORDER),
      notificationData: this.hasFeature(VIRTIO_F_NOTIFICATION_DATA),
      indirectMaxEntries: this.indirectMaxEntries,
    };
  }

  async findVqs<T = unknown>(requests: readonly VirtqueueRequest<T>[]): Promise<VirtioResult<readonly DriverVirtqueue<T>[]>> {
    const found = await this.config.findVqs(requests, this.ringOptions());
    if (found.kind === 'ok') this.queues = [...found.value] as DriverVirtqueue<unknown>[];
    return found;
  }

  async delVqs(): Promise<void> {
    await this.config.delVqs();
    this.queues = [];
  }

  // ---- config space ----

  cread8(offset: number): Promise<number> {
    return this.config.get(offset, 1);
  }
  cread16(offset: number): Promise<number> {
    return this.config.get(offset, 2);
  }
  cread32(offset: number): Promise<number> {
    return this.config.get(offset, 4);
  }

  /**
   * Runs `read` inside the generation loop: generation, reads, generation
   * again, retried while it changed (`config.driver.1`, `config.driver.2`;
   * Linux `__virtio_cread_many`). Use it to read several fields consistently.
   */
  async creadConsistent<T>(read: () => Promise<T>): Promise<VirtioResult<T>> {
    let gen = await this.config.generation();
    for (let round = 0; round < this.retryLimit; round++) {
      const value = await read();
      const after = await this.config.generation();
      if (after === gen) return ok(value);
      gen = after;
    }
    return virtioError('config-unstable', `config generation still changing after ${this.retryLimit} rounds`, ['pci.common.device.6']);
  }

  cread64(offset: number): Promise<VirtioResult<readonly [number, number]>> {
    return this.creadConsistent(async () => [await this.config.get(offset, 4), await this.config.get(offset + 4, 4)] as const);
  }

  creadBytes(offset: number, len: number): Promise<VirtioResult<Uint8Array>> {
    return this.creadConsistent(async () => {
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i++) out[i] = await this.config.get(offset + i, 1);
      return out;
    });
  }

  cwrite(offset: number, width: AccessWidth, value: number): Promise<VirtioResult<void>> {
    return this.config.set(offset, width, value);
  }

  configDisable(): void {
    this.configEnabled = false;
  }

  configEnable(): void {
    this.configEnabled = true;
    if (this.configPending) {
      this.configPending = false;
      this.deliverConfigChange();
    }
  }

  /** Linux `virtio_config_changed`: delivered now, or remembered until {@link configEnable}. */
  private configChangedInterrupt(): void {
    if (!this.configEnabled) {
      this.configPending = true;
      return;
    }
    this.deliverConfigChange();
  }

  private deliverConfigChange(): void {
    this.configChanges++;
    this.driverValue?.configChanged?.(this);
  }
}
