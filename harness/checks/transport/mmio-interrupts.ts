/**
 * Device-side check on virtio-mmio InterruptStatus and InterruptACK (virtio 1.4 4.2.2, 4.2.3.4):
 * a pending event keeps its bit until the driver acknowledges it and clears once acknowledged,
 * and bits of events that did not happen — undefined bits included — read 0.
 *
 * @module
 */

import { VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_INT_VRING } from '../../../specs/transport/mmio.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { broadcastFrame, otherMac } from '../../scenarios/transport/frames.js';
import { HandSession, macChangeFeatures } from '../../scenarios/transport/hand-session.js';
import { InterruptLog } from '../../scenarios/transport/interrupt-log.js';
import { judgeOnce, undecided, violation } from '../../scenarios/transport/property.js';
import type { MmioWindow } from '../../scenarios/transport/register-window.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const DEFINED = VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG;
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Judges a read of InterruptStatus against the events that can have happened. */
async function judgeQuiet(w: MmioWindow, what: string, usedPossible: boolean, generation: number): Promise<number> {
  const status = await w.readInterruptStatus();
  if ((status & ~DEFINED) !== 0) violation('mmio.reg.device.4', `${what}: InterruptStatus ${hex(status)} has undefined bits set`, 'bits of events that did not happen read 0; only bits 0 and 1 are defined');
  if (!usedPossible && (status & VIRTIO_MMIO_INT_VRING) !== 0) {
    violation('mmio.reg.device.4', `${what}: InterruptStatus ${hex(status)} shows a used-buffer notification with no buffer ever made available`, 'bit 0 reads 0 when no used-buffer notification happened');
  }
  const needsReset = ((await w.readStatus()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  if (!needsReset && (await w.readGeneration()) === generation && (status & VIRTIO_MMIO_INT_CONFIG) !== 0) {
    violation('mmio.reg.device.4', `${what}: InterruptStatus ${hex(status)} shows a configuration change while ConfigGeneration never moved`, 'bit 1 reads 0 when the configuration did not change');
  }
  return status;
}

/** The bit must stay set over reads, clear on InterruptACK, and the line must follow. */
async function judgeAck(w: MmioWindow, log: InterruptLog, bit: number, what: string): Promise<void> {
  const first = await w.readInterruptStatus();
  const second = await w.readInterruptStatus();
  if ((second & bit) === 0) {
    violation('mmio.reg.device.3', `${what}: InterruptStatus read ${hex(first)}, then ${hex(second)} before any InterruptACK`, `bit ${bit === 1 ? 0 : 1} stays set until the driver acknowledges it`);
  }
  await w.writeInterruptAck(bit);
  const after = await w.readInterruptStatus();
  if ((after & bit) !== 0) violation('mmio.reg.device.3', `${what}: InterruptStatus still ${hex(after)} after InterruptACK ${hex(bit)}`, 'an acknowledged event clears its bit');
  if (after === 0 && log.lineAsserted) violation('mmio.reg.device.3', `${what}: the interrupt line stays asserted with InterruptStatus 0 after InterruptACK`, 'the line follows InterruptStatus');
}

/**
 * `mmio.reg.device.3`: InterruptStatus bits stay set until InterruptACK and clear with it;
 * `mmio.reg.device.4`: bits of events that did not happen read 0; `mmio.reg.device.5`: 0 after
 * reset (read at the start).
 */
export const mmioInterruptStatus: Check<DeviceCheckContext> = {
  id: 'transport.device.mmio-interrupt-status',
  title: 'MMIO InterruptStatus shows exactly the pending events, keeps them until InterruptACK and clears them with it',
  clauses: ['mmio.reg.device.3', 'mmio.reg.device.4', 'mmio.reg.device.5'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['mmio'] },
  decision:
    'A configuration change is recognised by ConfigGeneration moving (or DEVICE_NEEDS_RESET); bit 1 without either is an ' +
    'event that did not happen. Bit 0 is judged 0 only while no buffer was ever made available. The receive queue asks for ' +
    'notifications, so its used buffer owes one: a bit 0 missing then is a pending event not shown. Config changes come ' +
    'from MAC_ADDR_SET when MAC, CTRL_VQ and CTRL_MAC_ADDR are offered; their bit is judged only when the device sets it.',
  async run(context) {
    const session = await HandSession.open(context);
    if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
    const w = session.window;
    if (w.transport !== 'mmio') return { kind: 'not-applicable', reason: 'not an MMIO device' };
    const mac = macChangeFeatures(await session.offered());
    const features = await session.bringUp(mac ?? 0n);
    if (typeof features === 'string') return { kind: 'inconclusive', reason: features };
    const generation = await w.readGeneration();
    const log = new InterruptLog(session.device);
    try {
      return await judgeOnce(async () => {
        const atStart = await w.readInterruptStatus();
        if (atStart !== 0) violation('mmio.reg.device.5', `InterruptStatus reads ${hex(atStart)} right after a reset and negotiation`, 'InterruptStatus reads 0 after reset');
        const rx = await session.setupQueue(0, { interrupts: true });
        if (typeof rx === 'string') undecided(rx);
        const tx = await session.setupQueue(1);
        if (typeof tx === 'string') undecided(tx);
        const ctrl = mac === null ? null : await session.setupQueue(2);
        if (typeof ctrl === 'string') undecided(ctrl);
        if (((await session.driverOk()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) undecided('DEVICE_NEEDS_RESET at DRIVER_OK');
        await session.device.wire.inject(broadcastFrame(80, 1));
        await judgeQuiet(w, 'live, a frame arrived but no receive buffer was ever posted', false, generation);

        session.postReceive(rx, 2);
        await session.kick(rx);
        await session.device.wire.inject(broadcastFrame(90, 2));
        if ((await session.drain(rx)).used === 0) undecided('the device delivered no frame into the receive queue');
        const status = await judgeQuiet(w, 'after a used buffer', true, generation);
        if ((status & VIRTIO_MMIO_INT_VRING) === 0) {
          violation('mmio.reg.device.3', `a used buffer the harness asked to be notified of left InterruptStatus at ${hex(status)}`, 'bit 0 set until the driver acknowledges the used-buffer notification');
        }
        await judgeAck(w, log, VIRTIO_MMIO_INT_VRING, 'used-buffer notification');
        if (ctrl === null) return;
        const current = new Uint8Array(6);
        for (let i = 0; i < 6; i++) current[i] = await w.readConfig(i, 1);
        const ack = await session.setMac(ctrl, otherMac(current, 5));
        if (ack !== 0) undecided(`MAC_ADDR_SET was answered ${ack}`);
        const afterMac = await w.readInterruptStatus();
        if ((afterMac & VIRTIO_MMIO_INT_CONFIG) !== 0) await judgeAck(w, log, VIRTIO_MMIO_INT_CONFIG, 'configuration change notification');
      });
    } finally {
      log.close();
    }
  },
};
