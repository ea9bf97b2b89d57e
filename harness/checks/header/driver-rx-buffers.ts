/**
 * The receive buffers a driver posts are large enough: with MRG_RXBUF every buffer holds at least
 * a header (MUST), without it every buffer holds a whole packet (SHOULD). The buffers are read
 * straight from the instrument's receiveq1 in guest memory after the driver opened, before any
 * frame arrives.
 *
 * @module
 */

import fc from 'fast-check';
import { featureNames, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../../specs/features/net.js';
import { VIRTIO_F_RING_PACKED } from '../../../specs/features/reserved.js';
import { receiveBufferMinimum } from '../../../specs/net/hdr.js';
import { driverOffer, type OpenDriver, openDriver } from '../../scenarios/datapath/driver-rig.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { type AvailableBuffer, availableBuffers } from '../../scenarios/header/avail-buffers.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** The buffers the driver made available on receiveq1, or why they could not be read. */
function postedReceiveBuffers(rig: OpenDriver): readonly AvailableBuffer[] | string {
  const q = rig.device.reference.core.queueRegisters.at(0);
  if (q === undefined || !q.enabled) return 'receiveq1 is not enabled';
  const found = availableBuffers(rig.device.memory.view, {
    format: hasFeature(rig.features, VIRTIO_F_RING_PACKED) ? 'packed' : 'split',
    size: q.size,
    descAddr: q.areaAddress('desc'),
    driverAddr: q.areaAddress('driver'),
    deviceAddr: q.areaAddress('device'),
  });
  return found.kind === 'buffers' ? found.buffers : `receiveq1 cannot be read: ${found.reason}`;
}

function judgeBuffers(rig: OpenDriver, clause: string, minimum: number, what: string): RunFinding {
  const buffers = postedReceiveBuffers(rig);
  if (typeof buffers === 'string') return { kind: 'skip', reason: buffers };
  if (buffers.length === 0) return { kind: 'skip', reason: 'the driver posted no receive buffer' };
  const small = buffers.findIndex((b) => b.writableBytes < minimum);
  if (small < 0) return OK;
  const b = buffers[small] as AvailableBuffer;
  return violation(
    clause,
    `receive buffer ${small} of ${buffers.length} has ${b.writableBytes} writable bytes (${b.segments.map((s) => s.len).join(' + ')}) with ${featureNames(rig.features).join(', ')}`,
    `at least ${minimum} bytes: ${what}`,
  );
}

/** `header.driver.rx-buffer-holds-header`: With MRG_RXBUF no receive buffer is smaller than the header (`net.rxbuf.driver.3`, sizes per `net.rxbuf.driver.4`). */
export const driverRxBufferHoldsHeader: Check<DriverCheckContext> = {
  id: 'header.driver.rx-buffer-holds-header',
  title: 'With MRG_RXBUF every receive buffer the driver posts holds at least the header',
  clauses: ['net.rxbuf.driver.3', 'net.rxbuf.driver.4'],
  role: 'driver',
  level: 'MUST',
  area: 'header',
  applies: { requires: ['VIRTIO_NET_F_MRG_RXBUF'] },
  async run(ctx) {
    let negotiated = 0;
    const outcome = await checkProperty(ctx.config, scaledRuns(ctx.config, 25, 3), driverOffer({ mrgRxbuf: true }), async (offer) => {
      const opened = await openDriver(ctx, offer);
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.reason };
      if (!hasFeature(opened.rig.features, VIRTIO_NET_F_MRG_RXBUF)) return { kind: 'skip', reason: 'the driver did not negotiate VIRTIO_NET_F_MRG_RXBUF' };
      negotiated++;
      const min = receiveBufferMinimum(opened.rig.features);
      return judgeBuffers(opened.rig, 'net.rxbuf.driver.3', min.size, `the ${opened.rig.hdrLength}-byte header`);
    });
    if (negotiated === 0 && outcome.kind !== 'violated') return { kind: 'not-applicable', reason: 'the driver does not negotiate VIRTIO_NET_F_MRG_RXBUF' };
    return outcome;
  },
};

/** `header.driver.rx-buffer-holds-packet`: Without MRG_RXBUF every receive buffer holds header + largest packet (`net.rxbuf.driver.2`, `net.rxbuf.driver.1`; SHOULD). */
export const driverRxBufferHoldsPacket: Check<DriverCheckContext> = {
  id: 'header.driver.rx-buffer-holds-packet',
  title: 'Without MRG_RXBUF every receive buffer the driver posts holds a whole packet',
  clauses: ['net.rxbuf.driver.2', 'net.rxbuf.driver.1'],
  role: 'driver',
  level: 'SHOULD',
  area: 'header',
  applies: { excludes: ['VIRTIO_NET_F_MRG_RXBUF'] },
  decision:
    'Sizes come from receiveBufferMinimum (specs/net/hdr.ts): header + 1514 without guest GSO (net.rxbuf.driver.2), header + ' +
    '65589 with any GUEST_TSO4/TSO6/UFO/USO4/USO6 (net.rxbuf.driver.1, the 1.4 figure; 1.2 and 1.3 size it at 65562 with a ' +
    '12-byte header). MTU is not offered, so the MTU rule (net.cfg.driver.8) does not arise.',
  async run(ctx) {
    let negotiated = 0;
    const outcome = await checkProperty(
      ctx.config,
      scaledRuns(ctx.config, 25, 3),
      fc.record({ offer: driverOffer({ mrgRxbuf: false }) }),
      async ({ offer }) => {
        const opened = await openDriver(ctx, offer);
        if (opened.kind !== 'open') return { kind: 'skip', reason: opened.reason };
        negotiated++;
        const min = receiveBufferMinimum(opened.rig.features);
        const found = judgeBuffers(opened.rig, min.clause, min.size, `the ${opened.rig.hdrLength}-byte header and the largest packet`);
        return found;
      },
    );
    if (negotiated === 0 && outcome.kind !== 'violated') return { kind: 'not-applicable', reason: 'the driver could not be opened without VIRTIO_NET_F_MRG_RXBUF' };
    return outcome;
  },
};
