/**
 * The data-path side of receive filtering: frames no filter setting may keep out — to the
 * device's own address, and broadcast — are delivered, intact. Filtering is best effort, so
 * frames to other addresses may arrive or not.
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, ethernetFrame, firstDifference, formatMac, MAX_FRAME, MIN_FRAME, multicast, otherUnicast } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import type { NetSession } from '../../scenarios/datapath/net-session.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { postReceive, readPacket } from '../../scenarios/datapath/traffic.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'net.ctrl.mac.device.4';

type Target = 'own' | 'broadcast' | 'other' | 'multicast';

interface Send {
  readonly target: Target;
  readonly length: number;
  readonly payload: Uint8Array;
}

async function sendOne(session: NetSession, own: Uint8Array | null, send: Send, other: Uint8Array, group: Uint8Array): Promise<RunFinding> {
  const dest = send.target === 'own' ? own : send.target === 'broadcast' ? BROADCAST : send.target === 'other' ? other : group;
  if (dest === null) return OK;
  const wanted = send.target === 'own' || send.target === 'broadcast';
  const frame = ethernetFrame(dest, send.length, send.payload);
  if ((await postReceive(session, session.hdrLength + MAX_FRAME + 32)) === null) return { kind: 'skip', reason: 'receiveq1 is full' };
  await session.kick(session.rx);
  await session.inject(frame);
  const got = await session.collect(session.rx, wanted ? 1 : 0);
  if (!wanted || got.error !== null) return OK;
  const what = `a ${frame.length}-byte frame to ${send.target === 'own' ? `the device's own address ${formatMac(dest)}` : 'broadcast'} (${featureNames(session.features).join(', ')})`;
  if (got.used.length === 0) return violation(PRIMARY, `${what} was not delivered`, 'delivered: no negotiated filter setting can exclude it');
  const packet = await readPacket(session, got.used);
  const diff = packet === null ? 'the used buffer is shorter than the header' : firstDifference(packet.frame, frame);
  if (diff !== null) return violation('net.rxbuf.device.1', `${what} arrived altered: ${diff}`, 'the frame as it came from the wire');
  return OK;
}

const sendArb: fc.Arbitrary<Send> = fc.record({
  target: fc.constantFrom<Target>('own', 'broadcast', 'other', 'multicast'),
  length: fc.integer({ min: MIN_FRAME, max: MAX_FRAME }),
  payload: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

const runArb: fc.Arbitrary<Run> = fc.record({
  ctrlRx: fc.boolean(),
  mrg: fc.boolean(),
  other: otherUnicast(Uint8Array.of(0, 0, 0, 0, 0, 0)),
  group: multicast(),
  sends: fc.array(sendArb, { minLength: 1, maxLength: 6 }),
});

interface Run {
  readonly ctrlRx: boolean;
  readonly mrg: boolean;
  readonly other: Uint8Array;
  readonly group: Uint8Array;
  readonly sends: readonly Send[];
}

const BASELINE: Run = {
  ctrlRx: false,
  mrg: false,
  other: Uint8Array.of(0x02, 0, 0, 0, 0, 0x99),
  group: Uint8Array.of(0x01, 0, 0x5e, 0, 0, 1),
  sends: [
    { target: 'broadcast', length: 60, payload: Uint8Array.of(1) },
    { target: 'other', length: 60, payload: Uint8Array.of(2) },
    { target: 'own', length: 60, payload: Uint8Array.of(3) },
    { target: 'multicast', length: 60, payload: Uint8Array.of(4) },
    { target: 'broadcast', length: 1514, payload: Uint8Array.of(5) },
  ],
};

/** `datapath.device.rx-wanted-frames`: Frames to the own address and broadcast arrive intact; others may or may not (`net.ctrl.mac.device.4`; SHOULD). */
export const rxWantedFrames: Check<DeviceCheckContext> = {
  id: 'datapath.device.rx-wanted-frames',
  title: 'Frames to the device\'s own address and to broadcast are delivered intact; other frames may be filtered or not',
  clauses: [PRIMARY, 'net.ctrl.rx.device.12', 'net.ctrl.rx.device.10', 'net.rxbuf.device.1'],
  role: 'device',
  level: 'SHOULD',
  area: 'datapath',
  applies: { excludes: ['VIRTIO_NET_F_CTRL_RX_EXTRA'] },
  decision:
    'Receive filtering is best effort (summary.md): a device may deliver unwanted frames, and the initial filter state is not ' +
    'specified, so frames to other unicast or multicast addresses are sent but never judged. No sentence says in so many words that ' +
    'wanted frames are delivered; the check demands it only for frames no negotiable setting may exclude: unicast to config mac ' +
    '(net.ctrl.mac.device.4 keeps the default MAC) and broadcast, with CTRL_RX_EXTRA never negotiated so that NOUNI and NOBCAST ' +
    '(net.ctrl.rx.device.10, .12) cannot be on, and no filter command sent. Reported at the SHOULD level of net.ctrl.mac.device.4. ' +
    'The control-queue side (PROMISC, ALLMULTI, MAC tables) belongs to the ctrl area.',
  async run(ctx) {
    const rig = await NetRig.create(ctx);
    if (!(rig instanceof NetRig)) return rig;
    const runOnce = async (run: Run): Promise<RunFinding> => {
      const want =
        featureMask(N.VIRTIO_NET_F_MAC) |
        (run.mrg ? featureMask(N.VIRTIO_NET_F_MRG_RXBUF) : 0n) |
        (run.ctrlRx ? featureMask(N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX) : 0n);
      const opened = await rig.open({ want });
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.outcome.kind === 'inconclusive' ? opened.outcome.reason : 'not open' };
      const own = await opened.session.mac();
      const other = own !== null && firstDifference(run.other.subarray(0, 6), own) === null ? Uint8Array.of(0x02, 0, 0, 0, 0, 0x98) : run.other;
      for (const send of run.sends) {
        const found = await sendOne(opened.session, own, send, other, run.group);
        if (found.kind !== 'ok') return found;
      }
      return OK;
    };
    const first = await runOnce(BASELINE);
    if (first.kind === 'violation') return { kind: 'violated', clause: first.clause, observed: first.observed, expected: first.expected };
    return checkProperty(ctx.config, scaledRuns(ctx.config), runArb, runOnce);
  },
};
