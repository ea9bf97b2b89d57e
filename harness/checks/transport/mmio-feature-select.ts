/**
 * Driver-side check on the MMIO feature windows (`mmio.reg.driver.12`, `mmio.reg.driver.13`):
 * each DeviceFeatures read and each DriverFeatures write comes after a write of its selector, so
 * the driver never relies on what a selector happens to hold (its reset value, or the value a
 * previous access left).
 *
 * @module
 */

import {
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
} from '../../../specs/transport/mmio.js';
import { driveLife } from '../../scenarios/transport/driver-life.js';
import { InstrumentWatch } from '../../scenarios/transport/instrument-watch.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** One feature window: the selector, the register it selects for, and the access judged. */
const WINDOWS = [
  { clause: 'mmio.reg.driver.12', sel: VIRTIO_MMIO_DEVICE_FEATURES_SEL, reg: VIRTIO_MMIO_DEVICE_FEATURES, dir: 'read', name: 'DeviceFeatures' },
  { clause: 'mmio.reg.driver.13', sel: VIRTIO_MMIO_DRIVER_FEATURES_SEL, reg: VIRTIO_MMIO_DRIVER_FEATURES, dir: 'write', name: 'DriverFeatures' },
] as const;

/** `mmio.reg.driver.12`, `mmio.reg.driver.13`: a selector write before every feature word access. */
export const driverMmioFeatureSelect: Check<DriverCheckContext> = {
  id: 'transport.driver.mmio-feature-select',
  title: 'MMIO: DeviceFeaturesSel is written before each DeviceFeatures read, DriverFeaturesSel before each DriverFeatures write',
  clauses: ['mmio.reg.driver.12', 'mmio.reg.driver.13'],
  role: 'driver',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['mmio'] },
  decision:
    'Read literally: every DeviceFeatures read (DriverFeatures write) needs its own selector write since the previous ' +
    'one, even when the selector already holds the wanted value. The driver\'s whole life (probe, traffic, link change, ' +
    'stop, remove) is watched; a driver that never touches a window leaves that half unexercised (inconclusive when both are).',
  async run(context) {
    const rig = await context.rig();
    const watch = new InstrumentWatch(rig.device);
    const life = await driveLife(rig.driver, rig.device);
    context.trace.record(`life: probed ${life.probed}, opened ${life.opened}, ${life.transmitted} sent, ${life.received} received`);
    let judged = 0;
    for (const w of WINDOWS) {
      let selected = false;
      let accesses = 0;
      for (const e of watch.log) {
        if (e.kind !== 'mmio') continue;
        if (e.dir === 'write' && e.offset === w.sel) selected = true;
        else if (e.dir === w.dir && e.offset === w.reg) {
          accesses++;
          if (!selected) {
            return {
              kind: 'violated',
              clause: w.clause,
              observed: `${w.name} ${w.dir} #${accesses} (value 0x${e.value.toString(16)}) with no ${w.name}Sel write since ${accesses === 1 ? 'the start' : 'the previous one'}`,
              expected: `${w.name}Sel is written before each ${w.name} ${w.dir}`,
            };
          }
          selected = false;
        }
      }
      context.trace.record(`${w.name}: ${accesses} ${w.dir}(s), each after a selector write`);
      if (accesses > 0) judged++;
    }
    if (judged === 0) return { kind: 'inconclusive', reason: 'the driver never accessed either feature window' };
    return { kind: 'met' };
  },
};
