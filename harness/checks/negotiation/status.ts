/**
 * Device-side checks on the device status field and reset: a model-based run of status writes in
 * any order (`fc.commands`), and what a reset must leave behind — queues disabled, no queue
 * touched, no notification sent (`reset.device.1`, `reset.device.2`).
 *
 * @module
 */

import fc from 'fast-check';
import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { describeStatus, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { baseFeatures, type DeviceSession, openSession, RESET_POLL_LIMIT } from '../../scenarios/negotiation/device-session.js';
import { driverSubset, validSubset } from '../../scenarios/negotiation/feature-subsets.js';
import { broadcastFrame } from '../../scenarios/negotiation/frames.js';
import { checkProperty, splitReplayPath } from '../../scenarios/negotiation/property.js';
import { runStatusModel, statusCommands } from '../../scenarios/negotiation/status-model.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/**
 * `reset.device.1`, `features.device.3`: status writes in any order, feature writes at any time
 * and resets, against the model in `scenarios/negotiation/status-model.ts`.
 */
export const statusMachine: Check<DeviceCheckContext> = {
  id: 'negotiation.device.status-machine',
  title: 'Resets read back 0 and FEATURES_OK reads back consistently, whatever order the driver writes status in',
  clauses: ['reset.device.1', 'pci.common.device.7', 'features.device.3'],
  role: 'device',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'The device answers each FEATURES_OK write once: a kept FEATURES_OK stays set until reset and FEATURES_OK never shows ' +
    'unless the device kept it. DEVICE_NEEDS_RESET may appear at any point and the other bits are not judged, since the spec ' +
    `states no device rule for them. A reset is complete when status reads 0 within ${RESET_POLL_LIMIT} reads.`,
  async run(context) {
    const opened = await openSession(context);
    if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
    const session = opened.session;
    // Read without a reset first: a device whose reset never completes must still be judged.
    const offered = await session.raw.readDeviceFeatures();
    const required = baseFeatures(offered, context.config.ring);
    const commands = statusCommands(
      driverSubset(offered, required).map((s) => s.features),
      validSubset(offered, required),
      splitReplayPath(context.config.path).commands,
    );
    // Up to 20 register steps per run: half the configured runs.
    return checkProperty(context.config, fc.tuple(fc.option(validSubset(offered, required)), commands), ([init, cmds]) => runStatusModel(session, init, cmds), { scale: 2 });
  },
};

/** Brings `session` live with rx0 and tx0 and checks that a frame comes through; an outcome when it cannot. */
async function bringUpWithTraffic(session: DeviceSession, ring: 'split' | 'packed'): Promise<FeatureSet | CheckOutcome> {
  const offered = await session.begin();
  if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
  if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'inconclusive', reason: 'the device does not offer VIRTIO_F_VERSION_1' };
  const features = baseFeatures(offered, ring);
  const { accepted, status } = await session.negotiate(features);
  if (!accepted) return { kind: 'inconclusive', reason: `the device refused the minimal subset (${describeStatus(status)})` };
  const failed = await session.startQueues(features, [0, 1]);
  if (failed !== null) return { kind: 'inconclusive', reason: `queue setup failed: ${failed}` };
  const live = await session.driverOk();
  if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: `the device failed at DRIVER_OK (${describeStatus(live)})` };
  const rx = session.queue(0);
  for (let i = 0; i < 4; i++) rx.addInbuf(session.alloc(2048), 2048, i);
  await session.kick(rx);
  await session.device.wire.inject(broadcastFrame(100, 1));
  if ((await session.drainUsed(rx)).length === 0) return { kind: 'inconclusive', reason: 'the device delivered no frame before the reset' };
  return features;
}

/**
 * `reset.device.2`: once a reset reads back 0 the device touches no queue (a frame from the wire
 * lands in no old receive buffer) and sends no notification; queue_enable / QueueReady read 0
 * (`pci.common.device.8`, `mmio.reg.device.5`).
 */
export const resetQuiesces: Check<DeviceCheckContext> = {
  id: 'negotiation.device.reset-quiesces',
  title: 'After a reset the device disables its queues, uses no buffer and sends no notification',
  clauses: ['reset.device.2', 'pci.common.device.8', 'mmio.reg.device.5'],
  role: 'device',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const opened = await openSession(context);
    if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
    const session = opened.session;
    const up = await bringUpWithTraffic(session, context.config.ring);
    if (typeof up !== 'bigint') return up;
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
      await session.raw.writeStatus(0);
      let status = -1;
      for (let i = 0; i < RESET_POLL_LIMIT && status !== 0; i++) status = await session.raw.readStatus();
      if (status !== 0) return { kind: 'inconclusive', reason: `the reset never completed (status ${describeStatus(status)})` };
      const queueClause = context.config.transport === 'pci' ? 'pci.common.device.8' : 'mmio.reg.device.5';
      for (const index of [0, 1]) {
        const enabled = await session.raw.queueEnabled(index);
        if (enabled !== 0) {
          return {
            kind: 'violated',
            clause: queueClause,
            observed: `queue ${index} reads ${context.config.transport === 'pci' ? 'queue_enable' : 'QueueReady'} = ${enabled} after the reset completed`,
            expected: 'every queue reads disabled after a device reset',
          };
        }
      }
      for (let i = 0; i < 2; i++) await session.device.wire.inject(broadcastFrame(120 + i, 2));
      const used = await session.drainUsed(session.queue(0));
      if (used.length > 0) {
        return {
          kind: 'violated',
          clause: 'reset.device.2',
          observed: `after the reset read back 0, frames from the wire were written into ${used.length} receive buffer(s) made available before it`,
          expected: 'after a reset the device touches no queue until the driver initialises it again',
        };
      }
      if (interrupts > 0) {
        return {
          kind: 'violated',
          clause: 'reset.device.2',
          observed: `${interrupts} interrupt(s) after the reset read back 0`,
          expected: 'after a reset the device sends no notification until the driver initialises it again',
        };
      }
      return { kind: 'met' };
    } finally {
      stop();
    }
  },
};
