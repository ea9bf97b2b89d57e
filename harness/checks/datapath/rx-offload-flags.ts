/**
 * The receive header carries checksum and GSO information only for the GUEST_* features the
 * driver negotiated (bug D22: offloads applied from the offer rather than the negotiation).
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames, type FeatureSet } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { rxHeaderFindings } from '../../scenarios/datapath/header-rules.js';
import { BROADCAST, ethernetFrame, MAX_FRAME, MIN_FRAME } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { postReceive, readPacket } from '../../scenarios/datapath/traffic.js';
import { HEADER_FEATURE_OFFER, HEADER_FEATURES, headerFeatureSet } from '../../scenarios/header/header-features.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'net.rx.device.5';

const CLAUSES = [
  PRIMARY,
  'net.rx.device.7',
  'net.rx.device.8',
  'net.rx.device.9',
  'net.rx.device.10',
  'net.rx.device.11',
  'net.rx.device.12',
  'net.rx.device.20',
  'net.rx.device.26',
  'net.rx.device.27',
  'net.rx.device.28',
  'net.rx.device.30',
  'net.rx.device.34',
  'net.rx.device.39',
  'net.rx.device.42',
  'net.rx.device.44',
] as const;

const runArb = fc.record({
  features: headerFeatureSet(),
  frames: fc.array(fc.record({ length: fc.integer({ min: MIN_FRAME, max: MAX_FRAME }), payload: fc.uint8Array({ minLength: 1, maxLength: 32 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
});

/** Fixed first runs: no offload at all, then every header feature the device offers. */
const BASELINE: readonly FeatureSet[] = [0n, featureMask(...HEADER_FEATURES)];

/** `datapath.device.rx-offload-flags`: Receive flags and gso_type only as the negotiated GUEST_* features allow (`net.rx.device.5`, `.7`–`.12`, `.20`, `.26`–`.28`, `.30`, `.34`). */
export const rxOffloadFlags: Check<DeviceCheckContext> = {
  id: 'datapath.device.rx-offload-flags',
  title: 'Receive flags and gso_type only use what the negotiated GUEST_* features allow',
  clauses: CLAUSES,
  role: 'device',
  level: 'MUST',
  area: 'datapath',
  applies: {},
  decision:
    'Only MUST-level value rules are judged (header-rules.ts). GSO packets with ECN without GUEST_ECN are a SHOULD NOT ' +
    '(net.rx.device.13) and are not reported here. Whether the device uses NEEDS_CSUM, DATA_VALID or GSO at all when allowed ' +
    'is its choice (net.rx.device.17, .32, .0c): the check never demands them. Frames are not IP, so a device has no checksum to ' +
    'validate or offload; flags 0 and gso_type NONE are what a conformant device writes.',
  async run(ctx) {
    const rig = await NetRig.create(ctx, { addFeatures: [...HEADER_FEATURE_OFFER] });
    if (!(rig instanceof NetRig)) return rig;
    const runOnce = async ({ features, frames }: { features: FeatureSet; frames: readonly { length: number; payload: Uint8Array }[] }): Promise<RunFinding> => {
      const opened = await rig.open({ want: features | featureMask(N.VIRTIO_NET_F_MAC) });
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.outcome.kind === 'inconclusive' ? opened.outcome.reason : 'not open' };
      const session = opened.session;
      const dest = (await session.mac()) ?? BROADCAST;
      for (const f of frames) {
        const frame = ethernetFrame(dest, f.length, f.payload);
        if ((await postReceive(session, session.hdrLength + frame.length + 64)) === null) return { kind: 'skip', reason: 'receiveq1 is full' };
        await session.kick(session.rx);
        await session.inject(frame);
        const got = await session.collect(session.rx, 1);
        if (got.error !== null || got.used.length === 0) return { kind: 'skip', reason: 'the frame was not delivered into one buffer' };
        const packet = await readPacket(session, got.used);
        if (packet === null) return { kind: 'skip', reason: 'the used buffer is shorter than the header' };
        const finding = rxHeaderFindings(packet.header, session.features, frame.length)[0];
        if (finding !== undefined) {
          return violation(finding.clause, `${finding.observed} on a ${frame.length}-byte frame (${featureNames(session.features).join(', ')})`, finding.expected);
        }
      }
      return OK;
    };
    const skipped: string[] = [];
    for (const features of BASELINE) {
      const found = await runOnce({ features, frames: [{ length: 128, payload: Uint8Array.of(0x45, 0, 0, 0x72) }] });
      if (found.kind === 'violation') return { kind: 'violated', clause: found.clause, observed: found.observed, expected: found.expected };
      if (found.kind === 'skip') skipped.push(found.reason);
    }
    // A device that delivers nothing makes every run wait for a frame: stop here instead.
    if (skipped.length === BASELINE.length) return { kind: 'inconclusive', reason: `no baseline frame was received: ${skipped.join('; ')}` };
    return checkProperty(ctx.config, scaledRuns(ctx.config), runArb, runOnce);
  },
};
