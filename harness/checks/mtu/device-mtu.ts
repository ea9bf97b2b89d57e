/**
 * Device-side checks on the `mtu` config field: its range (`net.cfg.device.2`), the IPv6 minimum
 * (`net.cfg.device.3`), and that it never changes (`net.cfg.device.4`).
 *
 * @module
 */

import { type FeatureSet, featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MTU } from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_NET_MTU_MAX, VIRTIO_NET_MTU_MIN, VIRTIO_NET_MTU_RECOMMENDED_MIN } from '../../../specs/net/config.js';
import { describeStatus, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { MTU_FIELD } from '../../scenarios/mtu/mtu-cases.js';
import { baseFeatures, type DeviceSession, openSession } from '../../scenarios/negotiation/device-session.js';
import { broadcastFrame } from '../../scenarios/negotiation/frames.js';
import type { Check, CheckOutcome } from '../check.js';
import { type DeviceCheckContext, NotApplicable } from '../context.js';

/** A session on a device asked to offer VIRTIO_NET_F_MTU (with `mtu` when given), reset and past DRIVER. */
export async function mtuSession(context: DeviceCheckContext, mtu?: number): Promise<{ session: DeviceSession; offered: FeatureSet } | CheckOutcome> {
  const opened = await openSession(context, { addFeatures: ['VIRTIO_NET_F_MTU'], ...(mtu === undefined ? {} : { mtu }) });
  if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
  const offered = await opened.session.begin();
  if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
  if (!hasFeature(offered, VIRTIO_NET_F_MTU)) throw new NotApplicable('the device does not offer VIRTIO_NET_F_MTU');
  return { session: opened.session, offered };
}

/** The `mtu` field as the device shows it. */
export function readMtu(session: DeviceSession): Promise<number> {
  return session.raw.readConfig(MTU_FIELD.offset, 2);
}

/** `net.cfg.device.2`: with VIRTIO_NET_F_MTU offered, `mtu` is in 68..65535. */
export const mtuInRange: Check<DeviceCheckContext> = {
  id: 'mtu.device.range',
  title: 'With VIRTIO_NET_F_MTU offered, mtu is at least 68',
  clauses: ['net.cfg.device.2'],
  role: 'device',
  level: 'MUST',
  area: 'mtu',
  applies: {},
  async run(context) {
    const opened = await mtuSession(context);
    if ('kind' in opened) return opened;
    const mtu = await readMtu(opened.session);
    if (mtu >= VIRTIO_NET_MTU_MIN && mtu <= VIRTIO_NET_MTU_MAX) return { kind: 'met' };
    return { kind: 'violated', clause: 'net.cfg.device.2', observed: `mtu reads ${mtu} with VIRTIO_NET_F_MTU offered`, expected: `mtu in ${VIRTIO_NET_MTU_MIN}..${VIRTIO_NET_MTU_MAX}` };
  },
};

/** `net.cfg.device.3`: the offered `mtu` should be at least 1280, the IPv6 minimum. */
export const mtuRecommendedMinimum: Check<DeviceCheckContext> = {
  id: 'mtu.device.recommended-minimum',
  title: 'With VIRTIO_NET_F_MTU offered, mtu is at least 1280',
  clauses: ['net.cfg.device.3'],
  role: 'device',
  level: 'SHOULD',
  area: 'mtu',
  applies: {},
  async run(context) {
    const opened = await mtuSession(context);
    if ('kind' in opened) return opened;
    const mtu = await readMtu(opened.session);
    if (mtu >= VIRTIO_NET_MTU_RECOMMENDED_MIN) return { kind: 'met' };
    return { kind: 'violated', clause: 'net.cfg.device.3', observed: `mtu reads ${mtu}`, expected: `mtu of at least ${VIRTIO_NET_MTU_RECOMMENDED_MIN} (the IPv6 minimum)` };
  },
};

/**
 * `net.cfg.device.4`: `mtu` reads the same before negotiation, after FEATURES_OK, after DRIVER_OK,
 * after traffic and after a reset.
 */
export const mtuUnchanging: Check<DeviceCheckContext> = {
  id: 'mtu.device.unchanging',
  title: 'mtu never changes once set',
  clauses: ['net.cfg.device.4'],
  role: 'device',
  level: 'MUST NOT',
  area: 'mtu',
  applies: { requires: ['VIRTIO_NET_F_MTU'] },
  async run(context) {
    const opened = await mtuSession(context);
    if ('kind' in opened) return opened;
    const { session, offered } = opened;
    if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'inconclusive', reason: 'the device does not offer VIRTIO_F_VERSION_1' };
    const seen: { when: string; mtu: number }[] = [{ when: 'before FEATURES_OK', mtu: await readMtu(session) }];
    const features = baseFeatures(offered, context.config.ring) | featureMask(VIRTIO_NET_F_MTU);
    const { accepted, status } = await session.negotiate(features);
    if (!accepted) return { kind: 'inconclusive', reason: `the device refused VERSION_1 + MTU (${describeStatus(status)})` };
    seen.push({ when: 'after FEATURES_OK', mtu: await readMtu(session) });
    const failed = await session.startQueues(features, [0, 1]);
    if (failed !== null) return { kind: 'inconclusive', reason: `queue setup failed: ${failed}` };
    const live = await session.driverOk();
    if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: `the device failed at DRIVER_OK (${describeStatus(live)})` };
    seen.push({ when: 'after DRIVER_OK', mtu: await readMtu(session) });
    const rx = session.queue(0);
    rx.addInbuf(session.alloc(2048), 2048, 0);
    await session.kick(rx);
    await session.device.wire.inject(broadcastFrame(64, 7));
    await session.drainUsed(rx);
    seen.push({ when: 'after traffic', mtu: await readMtu(session) });
    if (await session.reset()) seen.push({ when: 'after a reset', mtu: await readMtu(session) });
    const first = seen[0] as { mtu: number };
    const changed = seen.find((s) => s.mtu !== first.mtu);
    if (changed === undefined) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: 'net.cfg.device.4',
      observed: `mtu read ${seen.map((s) => `${s.mtu} ${s.when}`).join(', ')}`,
      expected: 'mtu never changes once set',
    };
  },
};
