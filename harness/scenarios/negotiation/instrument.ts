/**
 * The driver-side view of negotiation: what a driver under test did to the instrument (the
 * reference device it is bound to), rebuilt from the instrument's event log into init cycles, and
 * the few ways a driver-side check sets the instrument up beyond what a rig request can say (a
 * device that refuses FEATURES_OK, a config field showing another value).
 *
 * The instrument is the harness's own device: configuring it is the check's business, the driver
 * under test still sees nothing but registers, memory and interrupts.
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { setFeatureWord } from '../../../specs/features/feature-set.js';
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FAILED, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import type { DeviceEvent } from '../../../reference-impl/device/events.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';

/** A driver write to a feature word, in order. */
export interface FeatureWordWrite {
  readonly select: number;
  readonly value: number;
  /** Written after the driver had set FEATURES_OK in this cycle (`init.driver.4`). */
  readonly afterFeaturesOk: boolean;
}

/** A driver write to device status, with the status the device held before and after. */
export interface StatusWrite {
  readonly written: number;
  readonly before: number;
  readonly after: number;
}

/** One initialisation attempt: from a reset (status written 0) to the next one. */
export interface InitCycle {
  /** Whether the cycle began with a reset write (false only for writes before the first reset). */
  readonly startedWithReset: boolean;
  /** Every event of the cycle, in order (the reset write first). */
  readonly events: readonly DeviceEvent[];
  readonly statusWrites: readonly StatusWrite[];
  readonly featureWrites: readonly FeatureWordWrite[];
  /** The feature words as written when the driver first set FEATURES_OK, or null. */
  readonly atFeaturesOk: FeatureSet | null;
  /** The device's answer to that FEATURES_OK, or null when the driver never set it. */
  readonly featuresOkKept: boolean | null;
  /** The feature words as written when the driver first set DRIVER_OK, or null. */
  readonly atDriverOk: FeatureSet | null;
  /** The driver wrote DRIVER_OK after the device refused FEATURES_OK in this cycle. */
  readonly driverOkAfterRefusal: boolean;
  /** The driver set FAILED in this cycle. */
  readonly failed: boolean;
}

/** The set a driver accepted in `cycle`: the words at FEATURES_OK, else (a driver that skipped it) at DRIVER_OK. */
export function acceptedSet(cycle: InitCycle): FeatureSet | null {
  return cycle.atFeaturesOk ?? cycle.atDriverOk;
}

class CycleBuilder {
  readonly events: DeviceEvent[] = [];
  readonly statusWrites: StatusWrite[] = [];
  readonly featureWrites: FeatureWordWrite[] = [];
  words: FeatureSet = 0n;
  atFeaturesOk: FeatureSet | null = null;
  featuresOkKept: boolean | null = null;
  atDriverOk: FeatureSet | null = null;
  driverOkAfterRefusal = false;
  failed = false;

  constructor(readonly startedWithReset: boolean) {}

  add(event: DeviceEvent): void {
    this.events.push(event);
    if (event.kind === 'feature-write') {
      this.featureWrites.push({ select: event.select, value: event.value, afterFeaturesOk: this.atFeaturesOk !== null });
      if (event.select < 4) this.words = setFeatureWord(this.words, event.select, event.value);
      return;
    }
    if (event.kind !== 'status-write') return;
    const { written, before, after } = event;
    this.statusWrites.push({ written, before, after });
    if ((written & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && this.atFeaturesOk === null) {
      this.atFeaturesOk = this.words;
      this.featuresOkKept = (after & VIRTIO_CONFIG_S_FEATURES_OK) !== 0;
    }
    if ((written & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (before & VIRTIO_CONFIG_S_DRIVER_OK) === 0) {
      if (this.atDriverOk === null) this.atDriverOk = this.words;
      if (this.featuresOkKept === false) this.driverOkAfterRefusal = true;
    }
    if ((written & VIRTIO_CONFIG_S_FAILED) !== 0) this.failed = true;
  }

  build(): InitCycle {
    return {
      startedWithReset: this.startedWithReset,
      events: this.events,
      statusWrites: this.statusWrites,
      featureWrites: this.featureWrites,
      atFeaturesOk: this.atFeaturesOk,
      featuresOkKept: this.featuresOkKept,
      atDriverOk: this.atDriverOk,
      driverOkAfterRefusal: this.driverOkAfterRefusal,
      failed: this.failed,
    };
  }
}

/** Splits an event log into init cycles at every reset (the `reset` event, or a status write of 0). */
export function initCycles(events: readonly DeviceEvent[]): readonly InitCycle[] {
  const cycles: CycleBuilder[] = [];
  let current: CycleBuilder | null = null;
  let previous: DeviceEvent | null = null;
  for (const event of events) {
    // The core logs `reset` just before the status write of 0 that caused it: one boundary, not two.
    const boundary = event.kind === 'reset' || (event.kind === 'status-write' && event.written === 0 && previous?.kind !== 'reset');
    previous = event;
    if (boundary) {
      current = new CycleBuilder(true);
      cycles.push(current);
    } else if (current === null) {
      current = new CycleBuilder(false);
      cycles.push(current);
    }
    current.add(event);
  }
  return cycles.map((c) => c.build());
}

/**
 * Makes the instrument refuse every FEATURES_OK (read back clear), as a device that cannot run
 * any subset would (`features.device.3`), to watch what the driver does next (`init.driver.4a`).
 */
export function refuseFeaturesOk(device: ReferenceDeviceUnderTest, reason = 'the instrument refuses every subset'): void {
  const window = device.reference.core.featureWindow;
  window.negotiate = () => {
    device.reference.events.emit({ kind: 'features-refused', features: window.driverFeatures, refusal: { kind: 'scenario', reason } });
    return false;
  };
}

/**
 * Makes the instrument's device-specific config show `value` (little-endian, `width` bytes) at
 * `offset`, whatever its configuration says: how a driver-side check shows a driver a value a
 * conformant device would never offer (an mtu below 68, `net.cfg.device.2`).
 */
export function showConfigValue(device: ReferenceDeviceUnderTest, offset: number, width: number, value: number): void {
  const net = device.reference.net;
  const read = net.readConfig.bind(net);
  net.readConfig = (at, size) => {
    let v = read(at, size);
    for (let i = 0; i < size; i++) {
      const k = at + i - offset;
      if (k < 0 || k >= width) continue;
      const byte = Math.floor(value / 2 ** (8 * k)) & 0xff;
      v = v - (Math.floor(v / 2 ** (8 * i)) & 0xff) * 2 ** (8 * i) + byte * 2 ** (8 * i);
    }
    return v;
  };
}
