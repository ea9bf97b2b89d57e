/**
 * Device-side check on the ISR status byte of a virtio-pci function without MSI-X (virtio 1.4
 * 4.1.4.5, 4.1.5.3, 4.1.5.4): a used-buffer notification sets bit 0 and asserts INTx, the PCI
 * Status register's Interrupt Status bit mirrors the ISR, reading the ISR returns and clears it
 * and deasserts INTx; a configuration change interrupt carries bit 1.
 *
 * @module
 */

import { VIRTIO_PCI_ISR_CONFIG, VIRTIO_PCI_ISR_QUEUE } from '../../../specs/transport/pci.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { PCI_STATUS } from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import { broadcastFrame, otherMac } from '../../scenarios/transport/frames.js';
import { type HandQueue, HandSession, macChangeFeatures } from '../../scenarios/transport/hand-session.js';
import { InterruptLog } from '../../scenarios/transport/interrupt-log.js';
import { judgeOnce, undecided, violation } from '../../scenarios/transport/property.js';
import type { PciWindow } from '../../scenarios/transport/register-window.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** PCI Status register bit 3: Interrupt Status. */
const PCI_STATUS_INTERRUPT = 0x8;

const hex = (v: number): string => `0x${v.toString(16)}`;

/** Reads PCI Status, the ISR, PCI Status again and the ISR again. */
async function readAround(w: PciWindow): Promise<{ before: boolean; isr: number; after: boolean; again: number }> {
  const before = ((await w.access.readConfig(PCI_STATUS, 2)) & PCI_STATUS_INTERRUPT) !== 0;
  const isr = await w.readIsr();
  const after = ((await w.access.readConfig(PCI_STATUS, 2)) & PCI_STATUS_INTERRUPT) !== 0;
  const again = await w.readIsr();
  return { before, isr, after, again };
}

/** Judges one ISR read cycle: Status mirrors the ISR, the read clears it and drops INTx. */
function judgeReadCycle(what: string, r: { before: boolean; isr: number; after: boolean; again: number }, lineAfter: boolean): void {
  if (r.before !== (r.isr !== 0)) {
    violation('pci.isr.device.4', `${what}: PCI Status Interrupt Status read ${r.before ? 1 : 0} while the ISR held ${hex(r.isr)}`, 'Interrupt Status is set exactly while an ISR bit is set');
  }
  if (r.again !== 0) violation('pci.isr.device.5', `${what}: the ISR read ${hex(r.isr)}, then ${hex(r.again)} on the next read with no new event`, 'reading the ISR clears it');
  if (r.after) violation('pci.isr.device.4', `${what}: PCI Status Interrupt Status still 1 after the ISR read returned and cleared ${hex(r.isr)}`, 'Interrupt Status follows the ISR back to 0');
  if (lineAfter) violation('pci.isr.device.5', `${what}: INTx still asserted after the ISR read`, 'the ISR read deasserts INTx');
}

async function queuePhase(session: HandSession, w: PciWindow, rx: HandQueue, log: InterruptLog): Promise<void> {
  const mark = log.all.length;
  session.postReceive(rx, 2);
  await session.kick(rx);
  await session.device.wire.inject(broadcastFrame(90, 3));
  if ((await session.drain(rx)).used === 0) undecided('the device delivered no frame into the receive queue');
  const asserted = log.assertionsSince(mark) > 0;
  const r = await readAround(w);
  if ((r.isr & VIRTIO_PCI_ISR_QUEUE) === 0) {
    violation(
      'pci.isr.device.3',
      `a used buffer the harness asked to be notified of (no MSI-X) left the ISR at ${hex(r.isr)}${asserted ? ' with INTx asserted' : ' and raised no interrupt'}`,
      'the device sets ISR bit 0 and asserts INTx for a used-buffer notification',
    );
  }
  if (!asserted) violation('pci.isr.device.4', `ISR bit 0 set (${hex(r.isr)}) but INTx was never asserted`, 'INTx is asserted while an ISR bit is set');
  judgeReadCycle('after a used-buffer notification', r, log.lineAsserted);
}

/** Sends MAC_ADDR_SET(`mac`); judges the ISR read cycle after it and returns the ISR and whether the generation moved. */
async function controlPhase(session: HandSession, w: PciWindow, ctrl: HandQueue, log: InterruptLog, mac: Uint8Array, what: string): Promise<{ isr: number; moved: boolean }> {
  const generation = await w.readGeneration();
  const mark = log.all.length;
  const ack = await session.setMac(ctrl, mac);
  if (ack !== 0) undecided(`MAC_ADDR_SET was answered ${ack}`);
  const moved = (await w.readGeneration()) !== generation;
  const r = await readAround(w);
  if (r.isr !== 0 && log.assertionsSince(mark) === 0) {
    violation('pci.isr.device.4', `${what}: the ISR held ${hex(r.isr)} but INTx was never asserted`, 'INTx is asserted while an ISR bit is set');
  }
  judgeReadCycle(what, r, log.lineAsserted);
  return { isr: r.isr, moved };
}

/**
 * `pci.isr.device.3`: a queue interrupt without MSI-X sets ISR bit 0; `pci.isr.device.4`: PCI
 * Status Interrupt Status mirrors the ISR and INTx follows; `pci.isr.device.5`: reading the ISR
 * clears it and deasserts INTx; `pci.isr.device.2`: a configuration change interrupt sets bit 1.
 */
export const pciIsr: Check<DeviceCheckContext> = {
  id: 'transport.device.pci-isr',
  title: 'Without MSI-X the ISR carries the interrupt cause, PCI Status mirrors it, and reading it clears it and INTx',
  clauses: ['pci.isr.device.3', 'pci.isr.device.2', 'pci.isr.device.4', 'pci.isr.device.5'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'The receive queue asks for notifications (flags 0, no EVENT_IDX), so a used buffer owes one: none at all is judged as ' +
    'a missing ISR bit 0. Config changes come from MAC_ADDR_SET (when MAC, CTRL_VQ and CTRL_MAC_ADDR are offered). No ' +
    'clause makes the device notify that change, and the control queue\'s own used buffer may be notified despite ' +
    'NO_INTERRUPT (suppression is a hint), so bit 1 is demanded only when the config generation moved and the ' +
    'interrupt carries bit 0 alone although a control command that changed nothing raised no bit 0.',
  async run(context) {
    const session = await HandSession.open(context);
    if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
    const w = session.window;
    if (w.transport !== 'pci') return { kind: 'not-applicable', reason: 'not a PCI device' };
    const mac = macChangeFeatures(await session.offered());
    const features = await session.bringUp(mac ?? 0n);
    if (typeof features === 'string') return { kind: 'inconclusive', reason: features };
    const rx = await session.setupQueue(0, { interrupts: true });
    if (typeof rx === 'string') return { kind: 'inconclusive', reason: rx };
    const tx = await session.setupQueue(1);
    if (typeof tx === 'string') return { kind: 'inconclusive', reason: tx };
    const ctrl = mac === null ? null : await session.setupQueue(2);
    if (typeof ctrl === 'string') return { kind: 'inconclusive', reason: ctrl };
    if (((await session.driverOk()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: 'DEVICE_NEEDS_RESET at DRIVER_OK' };
    await w.readIsr();
    const log = new InterruptLog(session.device);
    try {
      return await judgeOnce(async () => {
        await queuePhase(session, w, rx, log);
        if (ctrl === null) return;
        const current = new Uint8Array(6);
        for (let i = 0; i < 6; i++) current[i] = await w.readConfig(i, 1);
        const quiet = await controlPhase(session, w, ctrl, log, current, 'after a control command that changed nothing');
        const changed = await controlPhase(session, w, ctrl, log, otherMac(current, 9), 'after MAC_ADDR_SET changed the config');
        if (changed.moved && changed.isr !== 0 && (changed.isr & VIRTIO_PCI_ISR_CONFIG) === 0 && (quiet.isr & VIRTIO_PCI_ISR_QUEUE) === 0) {
          violation(
            'pci.isr.device.2',
            `the config generation moved and an interrupt came with ISR ${hex(changed.isr)}, without bit 1; a control command that changed nothing left the ISR at ${hex(quiet.isr)}`,
            'ISR bit 1 is set for a configuration change interrupt',
          );
        }
      });
    } finally {
      log.close();
    }
  },
};
