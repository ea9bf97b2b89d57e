/**
 * Device-side MTU checks on the datapath, with VIRTIO_NET_F_MTU negotiated: no non-GSO frame
 * above `mtu + 14` is delivered to the driver (`net.cfg.device.5`), and every frame the driver
 * sends up to `mtu + 14` leaves on the wire whole (`net.cfg.device.6`).
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MTU } from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { describeStatus, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { frameLengthUpTo, maxFrame, oversizeBy } from '../../scenarios/mtu/mtu-cases.js';
import { baseFeatures, type DeviceSession } from '../../scenarios/negotiation/device-session.js';
import { broadcastFrame } from '../../scenarios/negotiation/frames.js';
import { checkProperty, Undecided, violation } from '../../scenarios/negotiation/property.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';
import { mtuSession, readMtu } from './device-mtu.js';

/** Header length: VERSION_1 without HASH_REPORT or tunnel offloads. */
const HDR = 12;

/** A live session with VERSION_1 + MTU negotiated (no merged buffers, no GSO) and its mtu. */
async function liveWithMtu(context: DeviceCheckContext, requestMtu: number): Promise<{ session: DeviceSession; mtu: number } | CheckOutcome> {
  const opened = await mtuSession(context, requestMtu);
  if ('kind' in opened) return opened;
  const { session, offered } = opened;
  if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'inconclusive', reason: 'the device does not offer VIRTIO_F_VERSION_1' };
  const mtu = await readMtu(session);
  const features = baseFeatures(offered, context.config.ring) | featureMask(VIRTIO_NET_F_MTU);
  const { accepted, status } = await session.negotiate(features);
  if (!accepted) return { kind: 'inconclusive', reason: `the device refused VERSION_1 + MTU (${describeStatus(status)})` };
  const failed = await session.startQueues(features, [0, 1]);
  if (failed !== null) return { kind: 'inconclusive', reason: `queue setup failed: ${failed}` };
  const live = await session.driverOk();
  if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: `the device failed at DRIVER_OK (${describeStatus(live)})` };
  context.trace.record(`live with VERSION_1 + MTU, mtu ${mtu}`);
  return { session, mtu };
}

/** Room past `mtu + 14` in each receive buffer, so that an oversize frame would fit if the device let it through. */
const SLACK = 1024;

/**
 * `net.cfg.device.5`: receive buffers large enough for `mtu + 14 + 1024` bytes are posted; the
 * wire brings a frame of exactly `mtu + 14` (which must fit) and one up to 1024 bytes longer. No
 * used buffer may hold more than a header and `mtu + 14` bytes.
 */
export const mtuReceiveLimit: Check<DeviceCheckContext> = {
  id: 'mtu.device.rx-within-mtu',
  title: 'With MTU negotiated the device delivers no frame longer than mtu + 14',
  clauses: ['net.cfg.device.5'],
  role: 'device',
  level: 'MUST NOT',
  area: 'mtu',
  applies: { requires: ['VIRTIO_NET_F_MTU'] },
  async run(context) {
    const live = await liveWithMtu(context, 1280);
    if ('kind' in live) return live;
    const { session, mtu } = live;
    const rx = session.queue(0);
    const size = HDR + maxFrame(mtu) + SLACK;
    const buffers = [session.alloc(size), session.alloc(size)];
    const free = [0, 1];
    return checkProperty(context.config, oversizeBy(), async (over) => {
      for (let token = free.pop(); token !== undefined; token = free.pop()) rx.addInbuf(buffers[token] as number, size, token);
      await session.kick(rx);
      await session.device.wire.inject(broadcastFrame(maxFrame(mtu), 8));
      await session.device.wire.inject(broadcastFrame(maxFrame(mtu) + over, 9));
      const used = await session.drainUsed(rx);
      context.trace.record(`wire -> ${maxFrame(mtu)} + ${maxFrame(mtu) + over} bytes; used lengths ${used.map((u) => u.len).join(', ') || 'none'}`);
      for (const u of used) free.push(u.token);
      const longest = Math.max(0, ...used.map((u) => u.len - HDR));
      if (longest > maxFrame(mtu)) {
        violation('net.cfg.device.5', `a ${longest}-byte frame was delivered with mtu ${mtu} negotiated`, `no non-GSO frame longer than mtu + 14 = ${maxFrame(mtu)} bytes reaches the driver`);
      }
      if (used.length === 0) throw new Undecided(`the device delivered not even the ${maxFrame(mtu)}-byte frame`);
    });
  },
};

/**
 * `net.cfg.device.6`: the driver sends non-GSO frames from 60 bytes up to exactly `mtu + 14`
 * (asking for a 9000-byte mtu); each leaves on the wire once, byte for byte.
 */
export const mtuTransmitForwarded: Check<DeviceCheckContext> = {
  id: 'mtu.device.tx-up-to-mtu',
  title: 'With MTU negotiated the device forwards every frame up to mtu + 14 whole',
  clauses: ['net.cfg.device.6'],
  role: 'device',
  level: 'MUST',
  area: 'mtu',
  applies: { requires: ['VIRTIO_NET_F_MTU'] },
  async run(context) {
    const live = await liveWithMtu(context, 9000);
    if ('kind' in live) return live;
    const { session, mtu } = live;
    const tx = session.queue(1);
    const buffer = session.alloc(HDR + maxFrame(mtu));
    const memory = session.device.memory.view;
    await session.device.wire.drain();
    return checkProperty(context.config, fc.tuple(frameLengthUpTo(mtu), fc.nat(255)), async ([length, seed]) => {
      const frame = broadcastFrame(length, seed);
      memory.fill(buffer, HDR, 0);
      memory.writeBytes(buffer + HDR, frame);
      const added = tx.addOutbuf(buffer, HDR + length, 0);
      if (added.kind !== 'added') throw new Undecided(`the transmit queue took no buffer (${added.kind})`);
      await session.kick(tx);
      if ((await session.awaitUsed(tx, 1)).length === 0) throw new Undecided('the device never returned the transmit buffer');
      const sent = await session.device.wire.drain();
      context.trace.record(`tx ${length} bytes -> wire ${sent.map((f) => f.bytes.length).join(' + ') || 'nothing'}`);
      const whole = sent.length === 1 && (sent[0] as { bytes: Uint8Array }).bytes.length === length && (sent[0] as { bytes: Uint8Array }).bytes.every((b, i) => b === frame[i]);
      if (!whole) {
        violation(
          'net.cfg.device.6',
          `a ${length}-byte frame (mtu ${mtu}) left as ${sent.length === 0 ? 'nothing' : sent.map((f) => `${f.bytes.length} bytes`).join(' + ')}`,
          `every non-GSO frame up to mtu + 14 = ${maxFrame(mtu)} bytes is forwarded unfragmented`,
        );
      }
    });
  },
};
