/**
 * The life a transport driver-side check gives a driver under test: probe, open, a frame each
 * way, link changes on the instrument (configuration change interrupts), another frame in, stop
 * and remove — every path on which a driver touches transport registers. What the driver
 * answers is recorded, not judged here.
 *
 * @module
 */

import { virtio_net_config, type VirtioNetConfigField } from '../../../specs/net/config.js';
import type { DriverUnderTest } from '../../adapters/contract.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import { broadcastFrame } from './frames.js';

/** What happened during {@link driveLife}. */
export interface LifeResult {
  readonly probed: boolean;
  readonly opened: boolean;
  /** Frames the instrument put on the wire for the driver's transmit. */
  readonly transmitted: number;
  /** Frames the driver handed up from the instrument's receive side. */
  readonly received: number;
}

/** Drives `driver` through its life on `device`. */
export async function driveLife(driver: DriverUnderTest, device: ReferenceDeviceUnderTest): Promise<LifeResult> {
  const probe = await driver.probe();
  if (probe.kind !== 'ok') return { probed: false, opened: false, transmitted: 0, received: 0 };
  const open = await driver.open();
  if (open.kind !== 'ok') {
    await driver.remove();
    return { probed: true, opened: false, transmitted: 0, received: 0 };
  }
  await driver.transmit({ frame: broadcastFrame(120, 1) });
  const transmitted = (await device.wire.drain()).length;
  await device.wire.inject(broadcastFrame(100, 2));
  let received = (await driver.poll()).length;
  device.reference.net.setLinkUp(false);
  await driver.poll();
  device.reference.net.setLinkUp(true);
  await driver.poll();
  await device.wire.inject(broadcastFrame(110, 3));
  received += (await driver.poll()).length;
  await driver.stop();
  await driver.remove();
  return { probed: true, opened: true, transmitted, received };
}

const FIELDS = Object.entries(virtio_net_config.fields) as [VirtioNetConfigField, { offset: number; size: number }][];

/**
 * Judges one device-config access against the layout of `virtio_net_config`
 * (`pci.layout.driver.1`, `mmio.reg.driver.5`): an access must hit one field at the field's
 * width, u8 arrays (`mac`) byte by byte. Accesses that touch no known field (past the fields this
 * revision defines) are not judged. Returns the problem in words, or null.
 */
export function configAccessProblem(offset: number, width: number): string | null {
  const hit = FIELDS.filter(([, f]) => offset < f.offset + f.size && offset + width > f.offset);
  if (hit.length === 0) return null;
  if (hit.length > 1) return `${width}-byte access at ${offset} spans ${hit.map(([n]) => n).join(' and ')}`;
  const [name, f] = hit[0] as [VirtioNetConfigField, { offset: number; size: number }];
  if (name === 'mac') return width === 1 ? null : `${width}-byte access at ${offset} into mac, an array of u8`;
  if (offset !== f.offset || width !== f.size) return `${width}-byte access at ${offset} into ${name}, a ${f.size}-byte field at ${f.offset}`;
  return null;
}
