/**
 * Device-side check that a device stays idle until DRIVER_OK (`status.device.1`): the harness
 * enables receiveq1 and transmitq1, makes buffers available on both and notifies them, and hands
 * the device a frame from the wire, all before DRIVER_OK.
 *
 * @module
 */

import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { describeStatus, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { baseFeatures, openSession } from '../../scenarios/negotiation/device-session.js';
import { broadcastFrame } from '../../scenarios/negotiation/frames.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** virtio_net_hdr with VIRTIO_F_VERSION_1 (num_buffers included). */
const NET_HDR_LEN = 12;
const RX_BUFFERS = 4;
const BUFFER_BYTES = 2048;

/**
 * `status.device.1`: before DRIVER_OK the device uses no available buffer (no used entry, no frame
 * on the wire) and sends no used-buffer notification; after DRIVER_OK the same queues carry traffic,
 * so an idle device is not mistaken for a dead one.
 */
export const idleBeforeDriverOk: Check<DeviceCheckContext> = {
  id: 'negotiation.device.idle-before-driver-ok',
  title: 'The device consumes no buffer and sends no used-buffer notification before DRIVER_OK',
  clauses: ['status.device.1'],
  role: 'device',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  decision:
    'Notifying a queue before DRIVER_OK is the driver\'s fault (init.driver.7) but is exactly what tempts a device to ' +
    'start early, so the harness does it on purpose. Any interrupt before DRIVER_OK counts: the device has no config ' +
    'change to report then, so every interrupt is a used-buffer one. A device that carries no traffic after DRIVER_OK ' +
    'either makes the run inconclusive, not a pass.',
  async run(context) {
    const opened = await openSession(context);
    if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
    const session = opened.session;
    const offered = await session.begin();
    if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
    if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'inconclusive', reason: 'the device does not offer VIRTIO_F_VERSION_1' };
    const features = baseFeatures(offered, context.config.ring);
    const { accepted, status } = await session.negotiate(features);
    if (!accepted) return { kind: 'inconclusive', reason: `the device refused the minimal subset (${describeStatus(status)})` };
    const failed = await session.startQueues(features, [0, 1]);
    if (failed !== null) return { kind: 'inconclusive', reason: `queue setup failed: ${failed}` };
    let interrupts = 0;
    const registers = session.device.registers;
    const stop =
      registers.transport === 'pci'
        ? registers.access.onInterrupt((i) => {
            if (i.kind === 'msix' || i.asserted) interrupts++;
          })
        : registers.access.onInterrupt((i) => {
            if (i.asserted) interrupts++;
          });
    try {
      const rx = session.queue(0);
      const tx = session.queue(1);
      for (let i = 0; i < RX_BUFFERS; i++) rx.addInbuf(session.alloc(BUFFER_BYTES), BUFFER_BYTES, i);
      const early = broadcastFrame(80, 3);
      const txAddr = session.alloc(NET_HDR_LEN + early.length);
      session.device.memory.view.fill(txAddr, NET_HDR_LEN, 0);
      session.device.memory.view.writeBytes(txAddr + NET_HDR_LEN, early);
      tx.addOutbuf(txAddr, NET_HDR_LEN + early.length, 100);
      context.trace.record('before DRIVER_OK: 4 receive buffers and 1 transmit buffer made available, both queues notified, a frame injected');
      await session.kick(rx);
      await session.kick(tx);
      await session.device.wire.inject(broadcastFrame(90, 4));
      const rxUsed = await session.drainUsed(rx);
      const txUsed = await session.drainUsed(tx);
      const sent = await session.device.wire.drain();
      const seen = `${rxUsed.length} receive and ${txUsed.length} transmit buffer(s) used, ${sent.length} frame(s) on the wire, ${interrupts} interrupt(s)`;
      context.trace.record(`before DRIVER_OK: ${seen}`);
      if (rxUsed.length + txUsed.length + sent.length + interrupts > 0) {
        return {
          kind: 'violated',
          clause: 'status.device.1',
          observed: `with FEATURES_OK set and DRIVER_OK not yet set: ${seen}`,
          expected: 'no buffer consumed and no used-buffer notification until the driver sets DRIVER_OK',
        };
      }
      const live = await session.driverOk();
      if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: `the device failed at DRIVER_OK (${describeStatus(live)})` };
      const late = broadcastFrame(70, 5);
      const lateAddr = session.alloc(NET_HDR_LEN + late.length);
      session.device.memory.view.fill(lateAddr, NET_HDR_LEN, 0);
      session.device.memory.view.writeBytes(lateAddr + NET_HDR_LEN, late);
      tx.addOutbuf(lateAddr, NET_HDR_LEN + late.length, 101);
      await session.kick(tx);
      await session.device.wire.inject(broadcastFrame(90, 6));
      const after = (await session.awaitUsed(rx, 1)).length;
      const wire = (await session.device.wire.drain()).length;
      context.trace.record(`after DRIVER_OK: ${after} receive buffer(s) used, ${wire} frame(s) on the wire`);
      if (after === 0 || wire === 0) return { kind: 'inconclusive', reason: `after DRIVER_OK the device carried no traffic (${after} received, ${wire} sent)` };
      return { kind: 'met' };
    } finally {
      stop();
    }
  },
};
