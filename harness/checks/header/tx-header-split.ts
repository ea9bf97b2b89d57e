/**
 * The device reads the transmit header at the negotiated length wherever the driver cut the
 * buffer into descriptors (bugs D7, D15).
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, firstDifference, frameTo, ethernetFrame } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import type { NetSession } from '../../scenarios/datapath/net-session.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { transmitCut, withHeader } from '../../scenarios/datapath/traffic.js';
import { HEADER_FEATURE_OFFER, HEADER_LENGTH_CLASSES, headerFeatureSet } from '../../scenarios/header/header-features.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const CLAUSE = 'framing.device.1';

/**
 * Sends `frame` behind an all-zero header (valid under any features: no offload, num_buffers 0)
 * cut at `cuts`, and judges the wire.
 */
async function sendAndJudge(session: NetSession, frame: Uint8Array, cuts: readonly number[]): Promise<RunFinding> {
  const hdr = session.hdrLength;
  const sent = await transmitCut(session, withHeader(new Uint8Array(hdr), frame), cuts);
  if (sent.kind === 'not-placed') return { kind: 'skip', reason: 'transmitq1 refused the buffer (full or broken)' };
  const shape = `a ${hdr}-byte header and a ${frame.length}-byte frame in descriptors of ${sent.lengths.join(' + ')} bytes (${featureNames(session.features).join(', ')})`;
  const expected = `exactly the ${frame.length} bytes after the ${hdr}-byte header on the wire`;
  if (sent.wire.length !== 1) return violation(CLAUSE, `${shape}: ${sent.wire.length} frames on the wire`, expected);
  const diff = firstDifference(sent.wire[0] as Uint8Array, frame);
  if (diff !== null) return violation(CLAUSE, `${shape}: the frame on the wire differs: ${diff}`, expected);
  return OK;
}

/** Every cut from the first header byte to just past the header, for each header length the device can give. */
async function sweep(rig: NetRig): Promise<CheckOutcome | null> {
  const seen = new Set<number>();
  const frame = ethernetFrame(BROADCAST, 64, Uint8Array.of(1, 2, 3, 4, 5, 6, 7));
  for (const want of HEADER_LENGTH_CLASSES) {
    const opened = await rig.open({ want: want | featureMask(N.VIRTIO_NET_F_MAC) });
    if (opened.kind !== 'open') continue;
    const session = opened.session;
    if (seen.has(session.hdrLength)) continue;
    seen.add(session.hdrLength);
    for (let cut = 0; cut <= session.hdrLength + 1; cut++) {
      const found = await sendAndJudge(session, frame, cut === 0 ? [] : [cut]);
      if (found.kind === 'violation') return { kind: 'violated', clause: found.clause, observed: found.observed, expected: found.expected };
    }
  }
  return seen.size === 0 ? { kind: 'inconclusive', reason: 'the device refused every feature set tried' } : null;
}

const runArb = fc.record({
  features: headerFeatureSet(),
  frames: fc.array(
    fc.record({
      frame: frameTo(BROADCAST),
      cuts: fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 34 }), fc.integer({ min: 1, max: 1546 })), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/** `header.device.tx-header-split`: The transmit header is read at the negotiated length across any descriptor split (`framing.device.1`, lengths per `net.tx.driver.1`). */
export const txHeaderSplit: Check<DeviceCheckContext> = {
  id: 'header.device.tx-header-split',
  title: 'The device reads the transmit header at the negotiated length, however header and frame are split across descriptors',
  clauses: [CLAUSE, 'net.tx.driver.1', 'net.rxbuf.driver.4'],
  role: 'device',
  level: 'MUST NOT',
  area: 'header',
  applies: {},
  decision:
    'The transmit header length is the one virtioNetHdrLength gives for the negotiated features (net.tx.driver.1, net.rxbuf.driver.4; ' +
    'either UDP tunnel GSO feature gives 24 bytes, summary.md defect 5). Frames are at least 60 bytes and carry no offload request, so ' +
    'the only allowed outcome is the frame on the wire byte for byte.',
  async run(ctx) {
    const rig = await NetRig.create(ctx, { addFeatures: [...HEADER_FEATURE_OFFER] });
    if (!(rig instanceof NetRig)) return rig;
    const swept = await sweep(rig);
    if (swept !== null) return swept;
    // Each run renegotiates the device, so runs are scaled down; each run sends up to three frames.
    return checkProperty(ctx.config, scaledRuns(ctx.config), runArb, async ({ features, frames }) => {
      const opened = await rig.open({ want: features | featureMask(N.VIRTIO_NET_F_MAC) });
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.outcome.kind === 'inconclusive' ? opened.outcome.reason : 'not open' };
      for (const { frame, cuts } of frames) {
        const total = opened.session.hdrLength + frame.length;
        const found = await sendAndJudge(
          opened.session,
          frame,
          [...new Set(cuts.filter((c) => c < total))].sort((a, b) => a - b),
        );
        if (found.kind !== 'ok') return found;
      }
      return OK;
    });
  },
};
