/**
 * Driver-side check on MSI-X vector programming (virtio 1.4 4.1.5.1.2): the driver maps no event
 * past the MSI-X table and reads every vector register back after writing it, and so notices a
 * mapping the device failed (NO_VECTOR) — shown here with an instrument that fails every queue
 * mapping: a driver that probes and opens it anyway must still get its frames.
 *
 * @module
 */

import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { VIRTIO_CONFIG_S_DRIVER_OK } from '../../../specs/status.js';
import { driveLife } from '../../scenarios/transport/driver-life.js';
import { failQueueVectors, InstrumentWatch } from '../../scenarios/transport/instrument-watch.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** The first vector write not read back before the register mattered, in words, or null. */
export function unreadVectorWrite(watch: InstrumentWatch): string | null {
  const pending = new Map<string, number>();
  const describe = (key: string, v: number): string => `${key === 'config' ? 'config_msix_vector' : `queue_msix_vector of queue ${key}`} written with ${v}`;
  for (const e of watch.log) {
    if (e.kind !== 'pci-bar' || e.target.region !== 'common') continue;
    const field = e.target.field;
    if (field === 'config_msix_vector' || field === 'queue_msix_vector') {
      const key = field === 'config_msix_vector' ? 'config' : `${e.queue}`;
      if (e.dir === 'read') {
        pending.delete(key);
        continue;
      }
      const before = pending.get(key);
      if (before !== undefined) return `${describe(key, before)}, then written again without a read-back`;
      if (e.value !== VIRTIO_MSI_NO_VECTOR) pending.set(key, e.value);
      continue;
    }
    if (e.dir === 'write' && field === 'queue_enable' && e.value === 1 && pending.has(`${e.queue}`)) {
      return `${describe(`${e.queue}`, pending.get(`${e.queue}`) as number)}, then enabled without a read-back`;
    }
    if (e.dir === 'write' && field === 'device_status' && (e.value & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && pending.size > 0) {
      const [key, v] = pending.entries().next().value as [string, number];
      return `${describe(key, v)}, then DRIVER_OK without a read-back`;
    }
  }
  const left = pending.entries().next();
  return left.done === true ? null : `${describe(left.value[0], left.value[1])} and never read back`;
}

function judge(watch: InstrumentWatch, what: string): CheckOutcome | null {
  const past = watch.violations(['pci.msix.driver.4'])[0];
  if (past !== undefined) {
    return { kind: 'violated', clause: 'pci.msix.driver.4', observed: `${what}: ${past.message}`, expected: 'no event is mapped to a vector past the MSI-X Table Size (only NO_VECTOR)' };
  }
  const unread = unreadVectorWrite(watch);
  if (unread !== null) {
    return { kind: 'violated', clause: 'pci.msix.driver.5', observed: `${what}: ${unread}`, expected: 'every vector written is read back (before the queue is enabled or DRIVER_OK) to detect a failed mapping' };
  }
  return null;
}

/** `pci.msix.driver.5`: vectors read back after writing; `pci.msix.driver.4`: no vector past the table. */
export const driverMsixVectors: Check<DriverCheckContext> = {
  id: 'transport.driver.msix-vectors',
  title: 'The driver maps no vector past the MSI-X table and reads every vector back, so a failed mapping does not cost it its interrupts',
  clauses: ['pci.msix.driver.5', 'pci.msix.driver.4'],
  role: 'driver',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'A read-back counts when it comes before the next write of the same register, before that queue is enabled, and ' +
    'before DRIVER_OK; NO_VECTOR writes (unmapping) need none. With every queue mapping failing, the driver may retry ' +
    'with fewer vectors, use INTx or give up (pci.msix.driver.6); if it probes and opens the device it must still ' +
    'receive, which it cannot if it missed the NO_VECTOR it read.',
  async run(context) {
    const plain = await context.rig();
    const plainWatch = new InstrumentWatch(plain.device);
    const plainLife = await driveLife(plain.driver, plain.device);
    const first = judge(plainWatch, 'on a device that maps every vector');
    if (first !== null) return first;

    const failing = await context.rig();
    failQueueVectors(failing.device);
    const failingWatch = new InstrumentWatch(failing.device);
    const life = await driveLife(failing.driver, failing.device);
    context.trace.record(`lives: plain ${JSON.stringify(plainLife)}, failing mappings ${JSON.stringify(life)}`);
    const second = judge(failingWatch, 'on a device that fails every queue mapping');
    if (second !== null) return second;
    if (life.opened && life.received === 0 && plainLife.received > 0) {
      return {
        kind: 'violated',
        clause: 'pci.msix.driver.5',
        observed: 'with every queue_msix_vector reading back NO_VECTOR the driver probed and opened the device but received no frame (it did on a device that maps vectors)',
        expected: 'the driver detects the failed mapping through the read-back and falls back (fewer vectors, INTx) or gives up',
      };
    }
    if (!plainLife.probed) return { kind: 'inconclusive', reason: 'the driver did not probe the instrument' };
    return { kind: 'met' };
  },
};
