/**
 * Device-side check that a feature write after FEATURES_OK changes nothing: the device runs with
 * the set it accepted. Observed through the receive path, where VIRTIO_NET_F_MRG_RXBUF decides
 * whether a packet may span several buffers.
 *
 * @module
 */

import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { describeStatus, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { baseFeatures, openSession } from '../../scenarios/negotiation/device-session.js';
import { broadcastFrame, numBuffersAt } from '../../scenarios/negotiation/frames.js';
import type { Check } from '../check.js';
import { type DeviceCheckContext, NotApplicable } from '../context.js';

/** Receive buffers posted: each too small for the large frame, so only merging could deliver it. */
const BUFFERS = 6;
const BUFFER_SIZE = 128;
const SMALL_FRAME = 60;
const LARGE_FRAME = 300;

/**
 * Negotiates without MRG_RXBUF, writes the features again with MRG_RXBUF after FEATURES_OK (as a
 * driver breaking `init.driver.4` would), then checks the receive path still follows the
 * accepted set: every packet in one buffer with `num_buffers` = 1 (`net.rxbuf.device.2`,
 * `net.rx.device.1`).
 */
export const lateFeatureWriteIgnored: Check<DeviceCheckContext> = {
  id: 'negotiation.device.late-feature-write-ignored',
  title: 'Feature bits written after FEATURES_OK do not change how the device works',
  clauses: ['net.rxbuf.device.2', 'net.rx.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'The spec forbids the late write to the driver (init.driver.4) and says nothing of the device; this check reads every ' +
    "feature-conditioned device clause as bound to the set accepted at FEATURES_OK, as QEMU behaves (qemu-qtest.md §2.3), so " +
    'MRG_RXBUF written late must not make the device merge buffers. A device that answers the late write with ' +
    'DEVICE_NEEDS_RESET leaves the check inconclusive.',
  async run(context) {
    const opened = await openSession(context);
    if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
    const session = opened.session;
    const offered = await session.begin();
    if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
    if (!hasFeature(offered, VIRTIO_NET_F_MRG_RXBUF)) throw new NotApplicable('the device does not offer VIRTIO_NET_F_MRG_RXBUF');
    if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'inconclusive', reason: 'the device does not offer VIRTIO_F_VERSION_1' };
    const features = baseFeatures(offered, context.config.ring);
    const { accepted, status } = await session.negotiate(features);
    if (!accepted) return { kind: 'inconclusive', reason: `the device refused the minimal subset (${describeStatus(status)})` };
    await session.raw.writeDriverFeatures(features | featureMask(VIRTIO_NET_F_MRG_RXBUF));
    context.trace.record('driver features rewritten with VIRTIO_NET_F_MRG_RXBUF after FEATURES_OK');
    const failed = await session.startQueues(features, [0, 1]);
    if (failed !== null) return { kind: 'inconclusive', reason: `queue setup failed: ${failed}` };
    const live = await session.driverOk();
    if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: `the device failed at DRIVER_OK (${describeStatus(live)})` };

    const rx = session.queue(0);
    const addresses: number[] = [];
    for (let i = 0; i < BUFFERS; i++) {
      addresses.push(session.alloc(BUFFER_SIZE));
      rx.addInbuf(addresses[i] as number, BUFFER_SIZE, i);
    }
    await session.kick(rx);
    const memory = session.device.memory.view;

    await session.device.wire.inject(broadcastFrame(SMALL_FRAME, 3));
    const small = await session.drainUsed(rx);
    if (small.length === 0) return { kind: 'inconclusive', reason: `the device delivered no ${SMALL_FRAME}-byte frame into a ${BUFFER_SIZE}-byte buffer` };
    await session.device.wire.inject(broadcastFrame(LARGE_FRAME, 4));
    const large = await session.drainUsed(rx);
    if (large.length > 1) {
      return {
        kind: 'violated',
        clause: 'net.rxbuf.device.2',
        observed: `one ${LARGE_FRAME}-byte frame was spread over ${large.length} ${BUFFER_SIZE}-byte buffers although MRG_RXBUF was written only after FEATURES_OK`,
        expected: 'without MRG_RXBUF negotiated each packet uses exactly one buffer',
      };
    }
    for (const used of [...small, ...large]) {
      const n = numBuffersAt(memory.bytes(addresses[used.token] as number, 12));
      if (n !== 1) {
        return {
          kind: 'violated',
          clause: 'net.rx.device.1',
          observed: `num_buffers = ${n} in a receive header although MRG_RXBUF was written only after FEATURES_OK`,
          expected: 'without MRG_RXBUF negotiated num_buffers is 1',
        };
      }
    }
    return { kind: 'met' };
  },
};
