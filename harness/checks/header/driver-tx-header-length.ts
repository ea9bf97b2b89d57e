/**
 * The driver's transmit header has the negotiated length: the instrument reads exactly that many
 * header bytes, so the frame it puts on the wire is the frame the driver was asked to send only
 * when the driver wrote a header of that length.
 *
 * @module
 */

import fc from 'fast-check';
import { featureNames } from '../../../specs/features/feature-set.js';
import { BROADCAST, firstDifference, frameTo } from '../../scenarios/datapath/frames.js';
import { driverOffer, openDriver, transmitThrough } from '../../scenarios/datapath/driver-rig.js';
import { checkProperty, OK, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

const PRIMARY = 'net.tx.driver.1';

const runArb = fc.record({ offer: driverOffer(), frames: fc.array(frameTo(BROADCAST), { minLength: 1, maxLength: 4 }) });

/** `header.driver.tx-header-length`: The driver's transmit header is `virtioNetHdrLength` bytes for what it negotiated (`net.tx.driver.1`, `net.rxbuf.driver.4`). */
export const driverTxHeaderLength: Check<DriverCheckContext> = {
  id: 'header.driver.tx-header-length',
  title: 'The driver writes transmit headers of the negotiated length (the receive header length)',
  clauses: [PRIMARY, 'net.rxbuf.driver.4'],
  role: 'driver',
  level: 'MUST',
  area: 'header',
  applies: {},
  decision:
    'The expected length is virtioNetHdrLength of the features the driver negotiated with the instrument (12, or 20 with ' +
    'HASH_REPORT). Frames carry no offload request, so the instrument must send them unchanged; a frame it drops as too short ' +
    'for the header, or sends shifted, shows a header of another length.',
  async run(ctx) {
    // Every run binds, probes and opens a driver, so runs are scaled down; each run sends up to four frames.
    return checkProperty(ctx.config, scaledRuns(ctx.config, 20, 4), runArb, async ({ offer, frames }) => {
      const opened = await openDriver(ctx, offer);
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.reason };
      const rig = opened.rig;
      const context = `${rig.hdrLength}-byte header (${featureNames(rig.features).join(', ')})`;
      for (const frame of frames) {
        const seen = await transmitThrough(rig, { frame });
        if (!seen.accepted) continue;
        const expected = `the ${frame.length}-byte frame unchanged on the wire: the driver's header is exactly ${rig.hdrLength} bytes`;
        const shortDrop = seen.refusals.find((e) => e.kind === 'tx-drop' && (e.reason === 'header-short' || e.reason === 'frame-runt' || e.reason === 'frame-empty'));
        if (shortDrop !== undefined && shortDrop.kind === 'tx-drop') {
          return violation(PRIMARY, `the instrument, reading a ${context}, dropped the buffer: ${shortDrop.message}`, expected);
        }
        if (seen.records.length !== 1) continue;
        const diff = firstDifference((seen.records[0] as { frame: Uint8Array }).frame, frame);
        if (diff !== null) return violation(PRIMARY, `the instrument, reading a ${context}, sent a frame that differs: ${diff}`, expected);
      }
      return OK;
    });
  },
};
