/**
 * Driver-side checks on how a driver takes interrupts from a virtio-pci function whatever the
 * function offers (virtio 1.4 4.1.5.1.2, 4.1.5.3, 4.1.5.4): any MSI-X Table Size, or no MSI-X at
 * all; and without MSI-X, one INTx interrupt whose ISR carries both a used-buffer and a
 * configuration change.
 *
 * @module
 */

import { VIRTIO_PCI_ISR_CONFIG, VIRTIO_PCI_ISR_QUEUE } from '../../../specs/transport/pci.js';
import { virtio_net_config } from '../../../specs/net/config.js';
import { driveLife, type LifeResult } from '../../scenarios/transport/driver-life.js';
import { broadcastFrame } from '../../scenarios/transport/frames.js';
import { hideMsix, InstrumentWatch, showMsixTableSize } from '../../scenarios/transport/instrument-watch.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** The instruments shown to the driver: MSI-X with 1 and 2 vectors, and none. */
const SHAPES = [
  { what: 'an MSI-X table of 1 vector (Table Size 0)', shape: (d: Parameters<typeof hideMsix>[0]) => showMsixTableSize(d, 1) },
  { what: 'an MSI-X table of 2 vectors (Table Size 1)', shape: (d: Parameters<typeof hideMsix>[0]) => showMsixTableSize(d, 2) },
  { what: 'no MSI-X capability', shape: hideMsix },
] as const;

function describeLife(life: LifeResult): string {
  if (!life.probed) return 'the probe failed';
  if (!life.opened) return 'open failed';
  return `${life.transmitted} frame(s) reached the wire and ${life.received} of 2 came in`;
}

/** `pci.msix.driver.1`: the driver works with any MSI-X Table Size, and without MSI-X. */
export const driverMsixTableSizes: Check<DriverCheckContext> = {
  id: 'transport.driver.msix-table-sizes',
  title: 'The driver probes, opens and moves frames whether the function has 1 or 2 MSI-X vectors or no MSI-X at all',
  clauses: ['pci.msix.driver.1'],
  role: 'driver',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'Handling a Table Size means working with it: probe, open, a frame out and both frames in. The device keeps its own ' +
    'table; only what the capability announces changes, so a driver that maps within the announced size sees a device ' +
    'with that many vectors.',
  async run(context): Promise<CheckOutcome> {
    const lives: string[] = [];
    for (const { what, shape } of SHAPES) {
      const { driver, device } = await context.rig();
      shape(device);
      const life = await driveLife(driver, device);
      lives.push(`${what}: ${describeLife(life)}`);
      if (!life.opened || life.transmitted === 0 || life.received < 2) {
        return { kind: 'violated', clause: 'pci.msix.driver.1', observed: `with ${what}, ${describeLife(life)}`, expected: 'the driver works with any MSI-X Table Size (0..0x7FF) and without MSI-X' };
      }
    }
    context.trace.record(lives.join('; '));
    return { kind: 'met' };
  },
};

const STATUS_AT = virtio_net_config.fields.status.offset;

/**
 * `pci.cfgnotif.driver.1`: one INTx interrupt with ISR bits 0 and 1 — the driver takes the
 * frame and re-reads the config.
 */
export const driverCombinedInterrupt: Check<DriverCheckContext> = {
  id: 'transport.driver.pci-combined-interrupt',
  title: 'Without MSI-X, an interrupt carrying both a used buffer and a config change is handled for both',
  clauses: ['pci.cfgnotif.driver.1'],
  role: 'driver',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'The instrument hides its MSI-X capability, then raises a used buffer (a frame in) and a link change back to back, ' +
    'before the driver runs, so one ISR read returns both bits. Handling the config change is seen as a read of the ' +
    'status field after that ISR read; handling the queue as the frame reaching the driver.',
  async run(context): Promise<CheckOutcome> {
    const { driver, device } = await context.rig({ linkUp: true });
    hideMsix(device);
    const watch = new InstrumentWatch(device);
    if ((await driver.probe()).kind !== 'ok' || (await driver.open()).kind !== 'ok') {
      return { kind: 'inconclusive', reason: 'the driver did not probe and open a function without MSI-X' };
    }
    await driver.poll();
    const mark = watch.log.length;
    // Both in one synchronous step: the driver's handler cannot run (and read the ISR) in between.
    device.reference.wire.inject(broadcastFrame(100, 4));
    device.reference.net.setLinkUp(false);
    const received = (await driver.poll()).length;
    await driver.stop();
    await driver.remove();
    const after = watch.log.slice(mark);
    const both = after.findIndex((e) => e.kind === 'pci-bar' && e.dir === 'read' && e.target.region === 'isr' && (e.value & (VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)) === 3);
    if (both < 0) return { kind: 'inconclusive', reason: 'no ISR read returned both bits: the two events were not seen in one interrupt' };
    const configRead = after.slice(both).some((e) => e.kind === 'pci-bar' && e.dir === 'read' && e.target.region === 'device' && e.target.at <= STATUS_AT + 1 && e.target.at + e.width > STATUS_AT);
    if (!configRead) {
      return { kind: 'violated', clause: 'pci.cfgnotif.driver.1', observed: 'the ISR read returned 0x3 and the driver never read the config status field afterwards', expected: 'an interrupt with both ISR bits is handled as a config change too' };
    }
    if (received === 0) {
      return { kind: 'violated', clause: 'pci.cfgnotif.driver.1', observed: 'the ISR read returned 0x3 and the frame behind bit 0 never reached the driver', expected: 'an interrupt with both ISR bits is handled as a used-buffer notification too' };
    }
    return { kind: 'met' };
  },
};
