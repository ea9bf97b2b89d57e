/**
 * Driver-side check on available-buffer notifications over virtio-pci (virtio 1.4 4.1.5.2): the
 * notify write is 16 bits carrying the virtqueue index, or with VIRTIO_F_NOTIFICATION_DATA 32
 * bits with the index (or queue_notif_config_data with VIRTIO_F_NOTIF_CONFIG_DATA) in the low
 * 16 bits. The instrument offers both features and judges every notification by what the driver
 * negotiated; this check collects what it found.
 *
 * @module
 */

import { driveLife } from '../../scenarios/transport/driver-life.js';
import { InstrumentWatch } from '../../scenarios/transport/instrument-watch.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

const CLAUSES = [
  'pci.availnotif.driver.1',
  'pci.availnotif.driver.3',
  'pci.availnotif.driver.2',
  'pci.availnotif.driver.4',
  'pci.availnotif.driver.5',
  'pci.availnotif.driver.6',
] as const;

const EXPECTED: Readonly<Record<(typeof CLAUSES)[number], string>> = {
  'pci.availnotif.driver.1': 'without NOTIFICATION_DATA every notification is a 16-bit write',
  'pci.availnotif.driver.2': 'with NOTIFICATION_DATA every notification is a 32-bit write (index, next_off, next_wrap)',
  'pci.availnotif.driver.3': 'without NOTIF_CONFIG_DATA and NOTIFICATION_DATA the value written is the virtqueue index',
  'pci.availnotif.driver.4': 'with NOTIFICATION_DATA (no NOTIF_CONFIG_DATA) the low 16 bits are the virtqueue index',
  'pci.availnotif.driver.5': 'with NOTIF_CONFIG_DATA (no NOTIFICATION_DATA) the value written is queue_notif_config_data',
  'pci.availnotif.driver.6': 'with both, the low 16 bits are queue_notif_config_data',
};

/** `pci.availnotif.driver.1..6`: width and value of every PCI notify write. */
export const driverPciNotifyWrites: Check<DriverCheckContext> = {
  id: 'transport.driver.pci-notify-writes',
  title: 'Every PCI queue notification has the width and value the negotiated NOTIFICATION_DATA / NOTIF_CONFIG_DATA call for',
  clauses: [...CLAUSES],
  role: 'driver',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'The instrument offers VIRTIO_F_NOTIFICATION_DATA and VIRTIO_F_NOTIF_CONFIG_DATA; the driver may take either, both or ' +
    'neither, and every notification is judged by the set it negotiated. next_off / next_wrap are not judged here (they ' +
    'are ring state, not transport mechanics).',
  async run(context) {
    const { driver, device } = await context.rig({ addFeatures: ['VIRTIO_F_NOTIFICATION_DATA', 'VIRTIO_F_NOTIF_CONFIG_DATA'] });
    const watch = new InstrumentWatch(device);
    const life = await driveLife(driver, device);
    const notifications = watch.log.filter((e) => e.kind === 'pci-bar' && e.dir === 'write' && e.target.region === 'notify').length;
    context.trace.record(`life: ${JSON.stringify(life)}; ${notifications} notify writes`);
    const found = watch.violations(CLAUSES)[0];
    if (found !== undefined) {
      return { kind: 'violated', clause: found.clause, observed: found.message, expected: EXPECTED[found.clause as (typeof CLAUSES)[number]] };
    }
    if (notifications === 0) return { kind: 'inconclusive', reason: 'the driver sent no notification, so none could be judged' };
    return { kind: 'met' };
  },
};
