/**
 * A driver that negotiated MRG_RXBUF reads a packet from the `num_buffers` buffers the device
 * used: the header from the first, raw frame bytes from the rest, and hands the frame up once and
 * intact (linux-driver-facts §3.2; bug R12 lost the extra buffers of a packet).
 *
 * @module
 */

import fc from 'fast-check';
import { featureNames, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../../specs/features/net.js';
import { driverOffer, openDriver } from '../../scenarios/datapath/driver-rig.js';
import { BROADCAST, firstDifference, frameTo, MIN_FRAME } from '../../scenarios/datapath/frames.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

const PRIMARY = 'net.rx.any.0a';

const runArb = fc.record({
  offer: driverOffer({ mrgRxbuf: true }),
  frames: fc.array(frameTo(BROADCAST, MIN_FRAME, 4000), { minLength: 1, maxLength: 4 }),
});

/** `datapath.driver.rx-merged-packets`: With MRG_RXBUF the driver rebuilds each packet from its num_buffers buffers (`net.rx.any.0a`, `net.rx.device.2`). */
export const driverRxMergedPackets: Check<DriverCheckContext> = {
  id: 'datapath.driver.rx-merged-packets',
  title: 'With MRG_RXBUF the driver rebuilds each packet from the num_buffers buffers it spans',
  clauses: [PRIMARY, 'net.rx.device.2', 'net.rxbuf.device.1'],
  role: 'driver',
  level: 'MUST',
  area: 'datapath',
  applies: { requires: ['VIRTIO_NET_F_MRG_RXBUF'] },
  decision:
    'No driver-side sentence says how num_buffers is read; the format is fixed by the sentences that define the merged buffers ' +
    '(net.rx.any.0a: only the first buffer carries the header, the others raw packet data; net.rx.device.2: num_buffers counts ' +
    'them). The catalog files net.rx.any.0a under the device, but its id marks it as binding both sides, and it is the sentence a ' +
    'driver reading the buffers otherwise contradicts. The instrument spreads frames of up to 4000 bytes over the driver\'s ' +
    'buffers; every frame it delivers must reach the stack once, unchanged.',
  async run(ctx) {
    let negotiated = 0;
    const outcome = await checkProperty(ctx.config, scaledRuns(ctx.config, 20, 4), runArb, async ({ offer, frames }): Promise<RunFinding> => {
      const opened = await openDriver(ctx, offer);
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.reason };
      const rig = opened.rig;
      if (!hasFeature(rig.features, VIRTIO_NET_F_MRG_RXBUF)) return { kind: 'skip', reason: 'the driver did not negotiate VIRTIO_NET_F_MRG_RXBUF' };
      negotiated++;
      await rig.driver.poll();
      for (const frame of frames) {
        const outcome = rig.device.reference.wire.inject(frame);
        ctx.trace.record(`instrument: ${frame.length}-byte frame ${outcome.kind === 'delivered' ? `delivered in ${outcome.buffers} buffer(s)` : `dropped: ${outcome.message}`}`);
        const handed = await rig.driver.poll();
        if (outcome.kind !== 'delivered') continue;
        const what = `a ${frame.length}-byte frame the instrument delivered in ${outcome.buffers} buffer(s) of used len ${outcome.usedLengths.join(', ')} (num_buffers ${outcome.buffers}; ${featureNames(rig.features).join(', ')})`;
        const expected = 'that frame handed up once, unchanged';
        if (handed.length !== 1) return violation(PRIMARY, `${what}: the driver handed up ${handed.length} frames (${handed.map((f) => f.length).join(', ')} bytes)`, expected);
        const diff = firstDifference(handed[0] as Uint8Array, frame);
        if (diff !== null) return violation(PRIMARY, `${what}: the driver handed up a different frame: ${diff}`, expected);
      }
      return OK;
    });
    if (negotiated === 0 && outcome.kind !== 'violated') return { kind: 'not-applicable', reason: 'the driver does not negotiate VIRTIO_NET_F_MRG_RXBUF' };
    return outcome;
  },
};
