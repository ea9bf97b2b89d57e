/**
 * Device-side check on DEVICE_NEEDS_RESET after DRIVER_OK (`status.device.3`): the harness breaks
 * the transmitq with each malformed chain the ring format allows, one after the other on one device
 * (reset in between), and wherever the device answers with DEVICE_NEEDS_RESET while DRIVER_OK is
 * set, a configuration change notification must have reached the driver.
 *
 * @module
 */

import { describeStatus, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import {
  DeviceSession,
  malformedCasesFor,
  NET_HDR_LEN,
  openDeviceSession,
  type ScriptedRing,
  ScriptedPackedRing,
  ScriptedSplitRing,
  TX_QUEUE,
  testFrame,
} from '../../scenarios/ring-live/index.js';
import type { Check, CheckOutcome } from '../check.js';
import { type DeviceCheckContext, NotApplicable } from '../context.js';
import { deviceRequestFor } from '../ring/device-traffic.js';

/** Ring size the harness programs: room for the malformed chain and the frame behind it. */
const QUEUE_SIZE = 16;
/** Times the harness lets the transport driver collect interrupts before it calls one missing. */
const INTERRUPT_POLLS = 4;

function scripted(session: DeviceSession): ScriptedRing {
  const mem = session.device.memory.view;
  return session.format === 'split' ? new ScriptedSplitRing(mem, session.tx.layout) : new ScriptedPackedRing(mem, session.tx.layout);
}

/**
 * `status.device.3`: DEVICE_NEEDS_RESET set while DRIVER_OK is set comes with a configuration
 * change notification, counted by the harness transport driver's own interrupt handler (MSI-X
 * config vector, ISR bit 1 on INTx, InterruptStatus bit 1 on MMIO).
 */
export const needsResetNotifies: Check<DeviceCheckContext> = {
  id: 'negotiation.device.needs-reset-notifies',
  title: 'DEVICE_NEEDS_RESET set after DRIVER_OK is followed by a configuration change notification',
  clauses: ['status.device.3'],
  role: 'device',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'The harness cannot make a device fail on purpose except through the driver\'s fault: it publishes each malformed ' +
    'transmit chain of the ring format (without INDIRECT_DESC). A device that recovers from every one without ' +
    'DEVICE_NEEDS_RESET (status.device.2 lets it) leaves the clause unexercised: not-applicable, never pass. The ' +
    `notification may arrive late: the harness lets its interrupt handler run ${INTERRUPT_POLLS} times before it calls it missing.`,
  async run(context) {
    const device = await context.device(deviceRequestFor(context.config.ring, { inOrder: false }));
    const opened = await openDeviceSession(device, {
      ring: context.config.ring,
      eventIdx: false,
      indirect: false,
      queueSize: QUEUE_SIZE,
      trace: (line) => context.trace.record(line),
    });
    if (!(opened instanceof DeviceSession)) {
      if (opened.kind === 'not-applicable') throw new NotApplicable(opened.reason);
      return { kind: 'inconclusive', reason: opened.reason };
    }
    const session = opened;
    const cases = malformedCasesFor(session.format, false);
    let provoked = 0;
    for (const [k, chosen] of cases.entries()) {
      if (k > 0) {
        const refused = await session.reopen();
        if (refused !== null) return { kind: 'inconclusive', reason: `the device did not come up again after a reset: ${refused.reason}` };
      }
      const outcome = await provoke(context, session, chosen);
      if (outcome === 'no-needs-reset') continue;
      if (outcome !== 'notified') return outcome;
      provoked++;
    }
    if (provoked === 0) throw new NotApplicable(`the device set DEVICE_NEEDS_RESET for none of ${cases.length} malformed chains`);
    return { kind: 'met' };
  },
};

async function provoke(
  context: DeviceCheckContext,
  session: DeviceSession,
  chosen: ReturnType<typeof malformedCasesFor>[number],
): Promise<'no-needs-reset' | 'notified' | CheckOutcome> {
  const before = session.vdev.configChanges;
  const mem = session.device.memory;
  const addr = session.slotAddr(TX_QUEUE, 0);
  const frame = testFrame(60, 0xa7);
  mem.view.fill(addr, NET_HDR_LEN, 0);
  mem.view.writeBytes(addr + NET_HDR_LEN, frame);
  const tables = mem.allocator.alloc(128, 16);
  context.trace.record(`publish malformed chain '${chosen.name}' (breaks ${chosen.breaks})`);
  chosen.publish(scripted(session), { buffer: addr, headerLength: NET_HDR_LEN, frameLength: frame.length, tables, memorySize: mem.view.size });
  await mem.push(addr, NET_HDR_LEN + frame.length);
  await mem.push(session.tx.layout.descAddr, 16 * session.tx.size);
  await mem.push(session.tx.layout.driverAddr, session.format === 'split' ? 6 + 2 * session.tx.size : 4);
  await mem.push(tables, 128);
  await session.notify(TX_QUEUE);
  const status = await session.status();
  if ((status & VIRTIO_CONFIG_S_NEEDS_RESET) === 0) {
    context.trace.record(`status ${describeStatus(status)}: no DEVICE_NEEDS_RESET`);
    return 'no-needs-reset';
  }
  if ((status & VIRTIO_CONFIG_S_DRIVER_OK) === 0) {
    return { kind: 'inconclusive', reason: `the device shows DEVICE_NEEDS_RESET without DRIVER_OK (${describeStatus(status)})` };
  }
  for (let i = 0; i < INTERRUPT_POLLS && session.vdev.configChanges === before; i++) await session.vdev.config.synchronizeCbs();
  const seen = session.vdev.configChanges - before;
  context.trace.record(`status ${describeStatus(status)}; ${seen} configuration change notification(s) since the chain`);
  if (seen > 0) return 'notified';
  return {
    kind: 'violated',
    clause: 'status.device.3',
    observed: `after the malformed chain '${chosen.name}' the device shows ${describeStatus(status)} but sent no configuration change notification`,
    expected: 'DEVICE_NEEDS_RESET set while DRIVER_OK is set comes with a configuration change notification',
  };
}
