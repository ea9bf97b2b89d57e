/**
 * The feature window of the device core: the two select registers, the
 * 32-bit words of the offered and driver feature sets behind them
 * (device_feature / driver_feature on PCI, DeviceFeatures / DriverFeatures
 * on MMIO), and the decision taken when the driver sets FEATURES_OK.
 *
 * The window knows nothing of device status: the core asks it to decide at
 * FEATURES_OK and to forget everything at reset. What is offered is the
 * backend's offer minus what the transport cannot carry (both through the
 * core) and minus {@link CORE_UNSUPPORTED_FEATURES}; the device-type rules
 * come from the backend.
 *
 * @module
 */

import { type FeatureSet, featureMask, featureWord, setFeatureWord } from '../../specs/features/feature-set.js';
import {
  VIRTIO_F_ADMIN_VQ,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_SR_IOV,
  VIRTIO_F_SUSPEND,
  VIRTIO_F_UNUSED,
} from '../../specs/features/reserved.js';
import type { DeviceCounters, DeviceEventLog } from './events.js';
import { decideFeatures, type FeatureAcceptancePolicy, type FeatureValidation } from './feature-acceptance.js';

/**
 * Bits the core never offers whatever the backend says: legacy-only bits
 * (no legacy interface), SR_IOV (no SR-IOV capability, `rfb.device.10`),
 * ADMIN_VQ and SUSPEND (not implemented) (`features.device.4`).
 */
export const CORE_UNSUPPORTED_FEATURES: FeatureSet = featureMask(
  VIRTIO_F_NOTIFY_ON_EMPTY,
  VIRTIO_F_ANY_LAYOUT,
  VIRTIO_F_UNUSED,
  VIRTIO_F_SR_IOV,
  VIRTIO_F_ADMIN_VQ,
  VIRTIO_F_SUSPEND,
);

/**
 * Driver feature words the window keeps: selects 0..3, bits 0..127. Bits
 * from 128 up are reserved for future use (facts.md §2), so no device
 * offers them; keeping them would let a driver grow the set without bound
 * through a huge select.
 */
export const DRIVER_FEATURE_WORDS = 4;

/**
 * What driver_feature / DriverFeatures reads back before FEATURES_OK:
 * `'mirror'` the bits written, `'offered-only'` only the offered ones
 * (`pci.common.device.4`, `pci.common.device.5`).
 */
export type DriverFeatureReadback = 'mirror' | 'offered-only';

/** What the feature window needs from the core. */
export interface FeatureWindowHost {
  readonly events: DeviceEventLog;
  readonly counters: DeviceCounters;
  /** The backend's offer minus what the transport cannot carry (the transport attaches after the core is built). */
  offer(): FeatureSet;
  /** The backend's device-type rules on the driver's subset. */
  validate(driverFeatures: FeatureSet): FeatureValidation;
  /** Reports a driver rule violation. */
  violation(clause: string | null, message: string): void;
}

/** The feature registers of one device and the negotiation state behind them. */
export class FeatureWindow {
  /** device_feature_select / DeviceFeaturesSel. */
  deviceFeatureSelect = 0;
  /** driver_feature_select / DriverFeaturesSel. */
  driverFeatureSelect = 0;
  private written: FeatureSet = 0n;
  private kept: FeatureSet = 0n;
  private accepted = false;

  constructor(
    private readonly host: FeatureWindowHost,
    /** How FEATURES_OK is answered. */
    private readonly policy: FeatureAcceptancePolicy,
    /** driver_feature read-back before FEATURES_OK. */
    private readonly readback: DriverFeatureReadback = 'mirror',
  ) {}

  /** Features offered to the driver: the host's offer minus {@link CORE_UNSUPPORTED_FEATURES} (`features.device.4`). */
  get offered(): FeatureSet {
    return this.host.offer() & ~CORE_UNSUPPORTED_FEATURES;
  }

  /** Bits the driver has written so far (before masking). */
  get driverFeatures(): FeatureSet {
    return this.written;
  }

  /** The negotiated set; 0n until FEATURES_OK was kept. */
  get negotiated(): FeatureSet {
    return this.kept;
  }

  /** FEATURES_OK was kept (and the driver's feature writes are now ignored, `init.driver.4`). */
  get featuresOk(): boolean {
    return this.accepted;
  }

  /**
   * The set the queue registers go by: the negotiated one once FEATURES_OK
   * was kept, else the bits written so far (a driver that sets up queues too
   * early gets the ring format it asked for).
   */
  get current(): FeatureSet {
    return this.accepted ? this.kept : this.written;
  }

  /** device_feature / DeviceFeatures: the offered word chosen by the select (`pci.common.device.3`). */
  readDeviceFeatures(): number {
    return featureWord(this.offered, this.deviceFeatureSelect);
  }

  /** driver_feature read-back: the negotiated word after FEATURES_OK (`pci.common.device.4`, `pci.common.device.5`). */
  readDriverFeatures(): number {
    if (this.accepted) return featureWord(this.kept, this.driverFeatureSelect);
    const shown = this.readback === 'offered-only' ? this.written & this.offered : this.written;
    return featureWord(shown, this.driverFeatureSelect);
  }

  /**
   * driver_feature / DriverFeatures write; ignored and reported once
   * FEATURES_OK was kept (`init.driver.4`). A write beyond
   * {@link DRIVER_FEATURE_WORDS} is ignored too; non-zero bits there are
   * unoffered ones and reported at once (`features.driver.1`).
   */
  writeDriverFeatures(value: number): void {
    const h = this.host;
    const select = this.driverFeatureSelect;
    if (this.accepted) {
      h.counters.featureWritesIgnored++;
      h.events.emit({ kind: 'feature-write', select, value: value >>> 0, applied: false });
      h.violation('init.driver.4', 'driver feature bits written after FEATURES_OK');
      return;
    }
    if (select >= DRIVER_FEATURE_WORDS) {
      h.events.emit({ kind: 'feature-write', select, value: value >>> 0, applied: false });
      if (value !== 0) h.violation('features.driver.1', `driver feature word ${select} written with 0x${(value >>> 0).toString(16)}, beyond every offered bit; ignored`);
      return;
    }
    this.written = setFeatureWord(this.written, select, value);
    h.events.emit({ kind: 'feature-write', select, value: value >>> 0, applied: true });
  }

  /**
   * The driver set FEATURES_OK: decide on the bits written (`features.device.3`,
   * `features.driver.1`, `features.driver.2`). True when the set is kept;
   * false leaves FEATURES_OK clear for the driver to read back.
   */
  negotiate(): boolean {
    const h = this.host;
    const decision = decideFeatures(this.offered, this.written, this.policy, (f) => h.validate(f));
    if (decision.kind === 'refuse') {
      h.counters.featuresRefused++;
      h.events.emit({ kind: 'features-refused', features: this.written, refusal: decision.refusal });
      return false;
    }
    this.kept = decision.features;
    this.accepted = true;
    h.counters.featuresAccepted++;
    h.events.emit({ kind: 'features-accepted', features: decision.features });
    return true;
  }

  /** Device reset: nothing written, nothing negotiated, both selects 0. */
  reset(): void {
    this.written = this.kept = 0n;
    this.accepted = false;
    this.deviceFeatureSelect = this.driverFeatureSelect = 0;
  }
}
