/**
 * Driver-side checks of how control commands are laid out and what they carry: the framing every
 * command shares (`net.ctrl.any.1`), the MAC_TABLE_SET tables (`net.ctrl.mac.driver.3`), the
 * VQ_PAIRS_SET range and the queues behind it (`net.ctrl.mq.driver.2`, `.1`), and the
 * ANNOUNCE_ACK the driver owes the device (`net.ctrl.announce.driver.2`).
 *
 * @module
 */

import fc from 'fast-check';
import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_GUEST_ANNOUNCE } from '../../../specs/features/net.js';
import { VIRTIO_NET_S_ANNOUNCE, virtio_net_config } from '../../../specs/net/config.js';
import { ctrlCommand, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET } from '../../../specs/net/ctrl.js';
import { receiveq, transmitq } from '../../../specs/net/queues.js';
import { readLe16, readLe32 } from '../../scenarios/ctrl/commands.js';
import type { TappedCommand } from '../../scenarios/ctrl/ctrl-tap.js';
import { driverOp, EXERCISE, openTappedRig, performOp, rxModeOp, type DriverOp } from '../../scenarios/ctrl/driver-ops.js';
import { macClass } from '../../scenarios/ctrl/frames.js';
import { checkProperty, ClauseViolation, scaledRuns, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** Why a MAC_TABLE_SET payload breaks `net.ctrl.mac.driver.3`, or null. */
export function macTableLayoutError(p: Uint8Array): string | null {
  if (p.length < 4) return `${p.length} bytes leave no room for the unicast count`;
  const n = readLe32(p, 0);
  const mcAt = 4 + 6 * n;
  if (mcAt + 4 > p.length) return `unicast count ${n} needs ${mcAt + 4} bytes up to the multicast count; the payload has ${p.length}`;
  const m = readLe32(p, mcAt);
  const end = mcAt + 4 + 6 * m;
  if (end !== p.length) return `counts ${n} unicast + ${m} multicast make ${end} bytes; the payload has ${p.length}`;
  for (let i = 0; i < n; i++) if (macClass(p.subarray(4 + 6 * i, 10 + 6 * i)) !== 'unicast') return `unicast entry ${i} is not a unicast address`;
  for (let i = 0; i < m; i++) if (macClass(p.subarray(mcAt + 4 + 6 * i, mcAt + 10 + 6 * i)) !== 'multicast') return `multicast entry ${i} is not a multicast address`;
  return null;
}

/** `net.ctrl.mac.driver.3`: MAC_TABLE_SET counts match the entries that follow. */
export const ctrlDriverMacTableLayout: Check<DriverCheckContext> = {
  id: 'ctrl.driver.mac-table-layout',
  title: 'MAC_TABLE_SET carries le32 n_unicast, n_unicast unicast entries, le32 n_multicast and n_multicast multicast entries, nothing else',
  clauses: ['net.ctrl.mac.driver.3', 'net.ctrl.mac.driver.4'],
  role: 'driver',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_CTRL_RX'] },
  decision:
    'The payload is judged as the device receives it, whatever the descriptor split (Linux uses two descriptors). Either count may be 0 (net.ctrl.mac.driver.4). The counts must account for exactly the bytes sent, and each table must hold addresses of its class. The instrument is modern, so the counts are little-endian.',
  async run(ctx) {
    const rig = await openTappedRig(ctx, {});
    let judged = 0;
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 10), fc.array(rxModeOp(8), { minLength: 1, maxLength: 3 }), async (ops) => {
      for (const op of ops) await performOp(ctx, rig, op);
      const fresh = rig.tap.commands.slice(judged);
      judged = rig.tap.commands.length;
      for (const c of fresh) {
        if (c.klass !== VIRTIO_NET_CTRL_MAC || c.command !== VIRTIO_NET_CTRL_MAC_TABLE_SET) continue;
        const error = macTableLayoutError(c.payload);
        if (error !== null) violation('net.ctrl.mac.driver.3', `MAC_TABLE_SET #${c.seq}: ${error}`, 'le32 n_unicast, 6·n_unicast bytes, le32 n_multicast, 6·n_multicast bytes');
      }
    });
  },
};

/** The MQ pairs the instrument offers to the driver. */
const DRIVER_MQ_PAIRS = 2;

function judgePairs(c: TappedCommand, max: number): void {
  if (c.klass !== VIRTIO_NET_CTRL_MQ || c.command !== VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || c.payload.length < 2) return;
  const n = readLe16(c.payload, 0);
  if (n < 1 || n > max) violation('net.ctrl.mq.driver.2', `VQ_PAIRS_SET #${c.seq} asked for ${n} pair(s)`, `1 ≤ virtqueue_pairs ≤ max_virtqueue_pairs = ${max}`);
  const enabled = new Set(c.enabledQueues);
  for (let k = 1; k <= n; k++) {
    for (const q of [receiveq(k), transmitq(k)]) {
      if (!enabled.has(q)) violation('net.ctrl.mq.driver.1', `VQ_PAIRS_SET ${n} arrived while virtqueue ${q} (pair ${k}) was not enabled`, `receiveq1..${n} and transmitq1..${n} set up before VQ_PAIRS_SET ${n}`);
    }
  }
}

/** `net.ctrl.mq.driver.2`, `.1`: VQ_PAIRS_SET asks for 1..max pairs, all of them set up. */
export const ctrlDriverVqPairsInRange: Check<DriverCheckContext> = {
  id: 'ctrl.driver.vq-pairs-in-range',
  title: 'VQ_PAIRS_SET asks for 1..max_virtqueue_pairs pairs, and only once their queues are enabled',
  clauses: ['net.ctrl.mq.driver.2', 'net.ctrl.mq.driver.1'],
  role: 'driver',
  level: 'MUST NOT',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_MQ'] },
  decision:
    'The stack asks for channel counts from 0 to max + 1; the driver may refuse out-of-range ones (Linux returns -EINVAL) but must never send them. "Set up" is judged as transport-enabled; whether the receive queues were filled is not.',
  async run(ctx) {
    const rig = await openTappedRig(ctx, { addFeatures: ['VIRTIO_NET_F_MQ'], maxVirtqueuePairs: DRIVER_MQ_PAIRS });
    const max = rig.device.reference.config.maxVirtqueuePairs;
    const op = fc.integer({ min: 0, max: max + 1 }).map((pairs): DriverOp => ({ kind: 'set-pairs', pairs }));
    let judged = 0;
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 4), fc.array(op, { minLength: 1, maxLength: 4 }), async (ops) => {
      for (const o of ops) await performOp(ctx, rig, o);
      const fresh = rig.tap.commands.slice(judged);
      judged = rig.tap.commands.length;
      for (const c of fresh) judgePairs(c, max);
    });
  },
};

/** `net.ctrl.any.1` from the driver's side: class and command readable, ack writable, data sized. */
export const ctrlDriverCommandFraming: Check<DriverCheckContext> = {
  id: 'ctrl.driver.command-framing',
  title: 'every control buffer carries class and command, then the data, then a device-writable ack byte; fixed-size data has its structure size',
  clauses: ['net.ctrl.any.1', 'framing.driver.1'],
  role: 'driver',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ'] },
  decision:
    'net.ctrl.any.1 states the command layout both sides share; the catalogue files it under the device, and this check holds the driver to its half. A buffer without a device-writable byte or without the two header bytes is seen by the instrument, which records it against net.ctrl.any.1; data of a command with a fixed-size structure must have exactly that size.',
  async run(ctx) {
    const rig = await openTappedRig(ctx, { addFeatures: ['VIRTIO_NET_F_MQ'], maxVirtqueuePairs: 2 });
    let judged = 0;
    let faultsSeen = 0;
    const judge = (): void => {
      const faults = rig.tap.framingFaults();
      const fault = faults[faultsSeen];
      faultsSeen = faults.length;
      if (fault !== undefined) violation('net.ctrl.any.1', `the instrument refused a controlq buffer: ${fault.message}`, 'u8 class, u8 command, data (device-readable), u8 ack (device-writable)');
      const fresh = rig.tap.commands.slice(judged);
      judged = rig.tap.commands.length;
      for (const c of fresh) {
        const info = ctrlCommand(c.klass, c.command);
        if (info === undefined || typeof info.dataSize !== 'number' || c.payload.length === info.dataSize) continue;
        violation('net.ctrl.any.1', `${info.name} #${c.seq} carried ${c.payload.length} data byte(s)`, `${info.dataSize} byte(s), the size of its structure`);
      }
    };
    // What probe, open and one of every operation send is judged first, outside the property: nothing to shrink there.
    try {
      judge();
      for (const op of EXERCISE) {
        await performOp(ctx, rig, op);
        judge();
      }
    } catch (e) {
      if (e instanceof ClauseViolation) return { kind: 'violated', ...e.evidence };
      throw e;
    }
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 10), fc.array(driverOp(2), { minLength: 1, maxLength: 4 }), async (ops) => {
      for (const op of ops) {
        await performOp(ctx, rig, op);
        judge();
      }
    });
  },
};

/** `net.ctrl.announce.driver.2`: the driver acknowledges an announcement with ANNOUNCE_ACK. */
export const ctrlDriverAnnounceAcked: Check<DriverCheckContext> = {
  id: 'ctrl.driver.announce-acked',
  title: 'when the device sets VIRTIO_NET_S_ANNOUNCE, the driver sends ANNOUNCE_ACK with no data',
  clauses: ['net.ctrl.announce.driver.2', 'net.ctrl.announce.driver.1'],
  role: 'driver',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_GUEST_ANNOUNCE', 'VIRTIO_NET_F_STATUS'] },
  decision:
    'The instrument raises the announcement with a configuration change interrupt and the driver is given a poll to handle it; an ANNOUNCE_ACK must have arrived by then and the bit must read clear. Whether gratuitous packets were sent (SHOULD, announce.driver.1) is not judged.',
  async run(ctx) {
    const rig = await openTappedRig(ctx, {});
    const negotiated = rig.device.reference.core.negotiatedFeatures;
    if (!hasFeature(negotiated, VIRTIO_NET_F_GUEST_ANNOUNCE)) return { kind: 'not-applicable', reason: 'the driver did not negotiate VIRTIO_NET_F_GUEST_ANNOUNCE' };
    const step = fc.oneof(fc.constant<DriverOp>({ kind: 'announce' }), rxModeOp(2));
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 10), fc.array(step, { minLength: 1, maxLength: 3 }), async (ops) => {
      for (const op of ops) {
        const from = rig.tap.commands.length;
        await performOp(ctx, rig, op);
        if (op.kind !== 'announce') continue;
        const acks = rig.tap.since(from).filter((c) => c.klass === VIRTIO_NET_CTRL_ANNOUNCE && c.command === 0);
        if (acks.length === 0) violation('net.ctrl.announce.driver.2', 'the device set VIRTIO_NET_S_ANNOUNCE and signalled a config change; the driver sent no ANNOUNCE_ACK', 'an ANNOUNCE_ACK (class 3, command 0)');
        const status = rig.device.reference.net.configSpace.read(virtio_net_config.fields.status.offset, 2);
        if ((status & VIRTIO_NET_S_ANNOUNCE) !== 0) violation('net.ctrl.announce.driver.2', `after the driver handled the announcement, status still reads 0x${status.toString(16)}`, 'an acknowledged announcement, VIRTIO_NET_S_ANNOUNCE clear');
      }
    });
  },
};
