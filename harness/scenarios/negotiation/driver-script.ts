/**
 * The life a driver-side negotiation check gives a driver under test: probe, and when that worked
 * open, a little traffic both ways, a MAC and receive-mode change, stop and remove. What the
 * driver answers is not judged here; the checks judge what it did to the instrument.
 *
 * @module
 */

import type { DriverUnderTest } from '../../adapters/contract.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import { broadcastFrame } from './frames.js';

/** What {@link driveLifecycle} does after a successful probe. */
export interface LifecycleOptions {
  /** Open, transmit, receive. @default true */
  readonly traffic?: boolean;
  /** Set a new MAC address and a receive mode. @default true */
  readonly addressing?: boolean;
  /** Stop and remove at the end. @default true */
  readonly teardown?: boolean;
}

/** A locally administered unicast address for MAC changes. */
export const SCRIPT_MAC = Uint8Array.of(0x02, 0x16, 0x3e, 0x5a, 0x00, 0x07);

/** Drives `driver` through its life on `device`; returns whether the probe succeeded. */
export async function driveLifecycle(driver: DriverUnderTest, device: ReferenceDeviceUnderTest, options: LifecycleOptions = {}): Promise<boolean> {
  const probed = await driver.probe();
  if (probed.kind !== 'ok') return false;
  if (options.traffic ?? true) {
    await driver.open();
    await driver.transmit({ frame: broadcastFrame(100, 5) });
    await device.wire.inject(broadcastFrame(90, 6));
    await driver.poll();
  }
  if (options.addressing ?? true) {
    await driver.setMacAddress(SCRIPT_MAC);
    await driver.setRxMode({ promisc: false, allmulti: true, unicast: [], multicast: [] });
  }
  if (options.teardown ?? true) {
    if (options.traffic ?? true) await driver.stop();
    await driver.remove();
  }
  return true;
}
