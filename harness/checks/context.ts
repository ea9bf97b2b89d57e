/**
 * What a check's body receives. Device-side checks get fresh devices from the device under test's
 * adapter; driver-side checks get the driver under test bound to a reference device that acts as
 * the harness's instrument. Both only ever see the adapter contract.
 *
 * @module
 */

import type { DeviceRequest, DeviceUnderTest, DriverUnderTest } from '../adapters/contract.js';
import type { ReferenceDeviceUnderTest } from '../adapters/reference-device.js';
import type { RingKind, TransportKind } from './check.js';
import type { Trace } from './trace.js';

/** The configuration one check run uses. */
export interface RunConfig {
  readonly transport: TransportKind;
  readonly ring: RingKind;
  /** fast-check seed: the same seed gives the same run. */
  readonly seed: number;
  /** Runs per property. @default 100 */
  readonly numRuns: number;
  /** fast-check path, to replay one shrunk counterexample. */
  readonly path?: string;
  /** Bound on one check run. @default 10 000 ms */
  readonly timeoutMs: number;
  /** Features the user asked the device to offer on top of what each check requests (`--features`). */
  readonly features?: readonly string[];
}

/**
 * Thrown by a context when the subject cannot provide what the check needs (e.g. a device adapter
 * that does not support a requested offer): the check is then not applicable, never passed.
 */
export class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotApplicable';
  }
}

/** The context of a device-side check. */
export interface DeviceCheckContext {
  readonly config: RunConfig;
  readonly trace: Trace;
  /**
   * A fresh device under test with the check's transport, registers traced. Closed by the runner.
   * @throws NotApplicable when the adapter cannot provide such a device.
   */
  device(request?: Omit<DeviceRequest, 'transport'>): Promise<DeviceUnderTest>;
}

/** A driver under test bound to the reference device. */
export interface DriverRig {
  readonly driver: DriverUnderTest;
  /** The instrument: the reference device the driver drives, with its event log and wire. */
  readonly device: ReferenceDeviceUnderTest;
}

/** The context of a driver-side check. */
export interface DriverCheckContext {
  readonly config: RunConfig;
  readonly trace: Trace;
  /**
   * The driver under test bound to a fresh reference device configured by `request`.
   * @throws NotApplicable when the driver adapter does not support the transport.
   */
  rig(request?: Omit<DeviceRequest, 'transport'>): Promise<DriverRig>;
}
