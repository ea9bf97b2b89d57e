/**
 * The device writes the receive header at the negotiated length, the frame right behind it,
 * however the driver cut the receive buffer into descriptors.
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames, type FeatureSet } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, ethernetFrame, firstDifference, MAX_FRAME, MIN_FRAME } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import type { NetSession } from '../../scenarios/datapath/net-session.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { postReceive, readPacket } from '../../scenarios/datapath/traffic.js';
import { HEADER_FEATURE_OFFER, HEADER_LENGTH_CLASSES, headerFeatureSet } from '../../scenarios/header/header-features.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'net.rxbuf.device.1';

/** One frame received into one buffer of `hdr + frame + slack` bytes cut at `cuts`. */
async function receiveAndJudge(session: NetSession, frame: Uint8Array, slack: number, cuts: readonly number[]): Promise<RunFinding> {
  const hdr = session.hdrLength;
  const total = hdr + frame.length + slack;
  const placed = await postReceive(
    session,
    total,
    [...new Set(cuts.filter((c) => c > 0 && c < total))].sort((a, b) => a - b),
  );
  if (placed === null) return { kind: 'skip', reason: 'receiveq1 refused the buffer' };
  await session.kick(session.rx);
  await session.inject(frame);
  const got = await session.collect(session.rx, 1);
  const shape = `a ${frame.length}-byte frame into one buffer of ${placed.segments.map((s) => s.len).join(' + ')} bytes (${featureNames(session.features).join(', ')}, header ${hdr} bytes)`;
  if (got.error !== null) {
    const clause = session.format === 'split' ? 'split.used.device.2' : 'packed.used.device.1';
    return violation(clause, `${shape}: ${got.error.message}`, 'a used len no larger than the bytes the device wrote');
  }
  const used = got.used[0];
  if (used === undefined) return { kind: 'skip', reason: `the device did not deliver ${shape}` };
  if (got.used.length > 1) return violation(PRIMARY, `${shape}: ${got.used.length} buffers used`, 'one used buffer: only one was available');
  if (used.len !== hdr + frame.length) {
    return violation(PRIMARY, `${shape}: used len ${used.len}`, `used len ${hdr + frame.length}: the ${hdr}-byte header and the frame`);
  }
  const packet = await readPacket(session, got.used);
  if (packet === null) return violation(PRIMARY, `${shape}: the buffer cannot be read back`, 'the header and the frame');
  if (packet.header.numBuffers !== 1) {
    const clause = session.has(N.VIRTIO_NET_F_MRG_RXBUF) ? 'net.rx.device.2' : 'net.rx.device.1';
    return violation(clause, `${shape}: num_buffers ${packet.header.numBuffers}`, 'num_buffers 1: the packet is in one buffer');
  }
  const diff = firstDifference(packet.frame, frame);
  if (diff !== null) return violation(PRIMARY, `${shape}: the bytes after the header are not the frame: ${diff}`, `the frame right after the ${hdr}-byte header`);
  return OK;
}

async function destination(session: NetSession): Promise<Uint8Array> {
  return (await session.mac()) ?? BROADCAST;
}

/** Every cut from inside the header to just past it, for each header length the device can give. */
async function sweep(rig: NetRig): Promise<CheckOutcome | null> {
  const seen = new Set<number>();
  let delivered = false;
  for (const want of HEADER_LENGTH_CLASSES) {
    const opened = await rig.open({ want: want | featureMask(N.VIRTIO_NET_F_MAC) });
    if (opened.kind !== 'open' || seen.has(opened.session.hdrLength)) continue;
    const session = opened.session;
    seen.add(session.hdrLength);
    const frame = ethernetFrame(await destination(session), 64, Uint8Array.of(9, 8, 7, 6, 5));
    for (let cut = 0; cut <= session.hdrLength + 1; cut++) {
      const found = await receiveAndJudge(session, frame, 0, cut === 0 ? [] : [cut]);
      if (found.kind === 'violation') return { kind: 'violated', clause: found.clause, observed: found.observed, expected: found.expected };
      if (found.kind === 'skip') break;
      delivered = true;
    }
  }
  return delivered ? null : { kind: 'inconclusive', reason: 'the device delivered no frame to its own address in any header length tried' };
}

const runArb = fc.record({
  features: headerFeatureSet(),
  frames: fc.array(
    fc.record({
      length: fc.integer({ min: MIN_FRAME, max: MAX_FRAME }),
      payload: fc.uint8Array({ minLength: 1, maxLength: 32 }),
      slack: fc.integer({ min: 0, max: 64 }),
      cuts: fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 34 }), fc.integer({ min: 1, max: 1600 })), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/** `header.device.rx-header-length`: The receive header is `virtioNetHdrLength` bytes, followed by the frame, used len = header + frame, num_buffers 1 for one buffer (`net.rxbuf.device.1`, `net.rx.device.1`, `.2`, `framing.device.1`). */
export const rxHeaderLength: Check<DeviceCheckContext> = {
  id: 'header.device.rx-header-length',
  title: 'The device writes the receive header at the negotiated length and the frame right after it, in any descriptor split',
  clauses: [PRIMARY, 'net.rx.device.1', 'net.rx.device.2', 'framing.device.1', 'split.used.device.2', 'packed.used.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'header',
  applies: {},
  decision:
    'The receive header length has no device-side sentence of its own: it follows from the struct layout and the size rule the ' +
    'driver relies on (net.rxbuf.driver.4; virtioNetHdrLength, either UDP tunnel GSO feature gives 24). The check reads the buffer ' +
    'as a driver of the negotiated features must - that many header bytes, then the frame, up to used len (split.used.driver.1) - ' +
    'and reports a used len other than header + frame, or a frame not right after the header, against net.rxbuf.device.1: the ' +
    'buffer then does not hold the packet its num_buffers describes. A frame the device does not deliver is not judged here.',
  async run(ctx) {
    const rig = await NetRig.create(ctx, { addFeatures: [...HEADER_FEATURE_OFFER] });
    if (!(rig instanceof NetRig)) return rig;
    const swept = await sweep(rig);
    if (swept !== null) return swept;
    return checkProperty(ctx.config, scaledRuns(ctx.config), runArb, async ({ features, frames }: { features: FeatureSet; frames: readonly { length: number; payload: Uint8Array; slack: number; cuts: readonly number[] }[] }) => {
      const opened = await rig.open({ want: features | featureMask(N.VIRTIO_NET_F_MAC) });
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.outcome.kind === 'inconclusive' ? opened.outcome.reason : 'not open' };
      const dest = await destination(opened.session);
      for (const f of frames) {
        const found = await receiveAndJudge(opened.session, ethernetFrame(dest, f.length, f.payload), f.slack, f.cuts);
        if (found.kind !== 'ok') return found;
      }
      return OK;
    });
  },
};
