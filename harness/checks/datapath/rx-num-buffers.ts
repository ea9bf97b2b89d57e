/**
 * `num_buffers` tells the driver how many buffers a received packet spans: 1 without
 * MRG_RXBUF, the number of used buffers with it, and every buffer but the last full (bugs D5,
 * D14; QEMU spreads a 200-byte frame over 64-byte buffers exactly so, qemu-qtest.md §3.3).
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, ethernetFrame, firstDifference, MAX_FRAME, MIN_FRAME } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import type { NetSession, UsedEntry } from '../../scenarios/datapath/net-session.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { postReceive, readPacket } from '../../scenarios/datapath/traffic.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'net.rxbuf.device.1';

function writableBytes(session: NetSession, u: UsedEntry): number {
  return session.placed(u.token)?.segments.reduce((n, s) => n + (s.writable ? s.len : 0), 0) ?? 0;
}

/**
 * Receives `frame` into buffers of `sizes` (repeated until they hold the packet; without
 * MRG_RXBUF one buffer of the packet's size plus the first size as slack) and judges the used
 * buffers.
 */
async function receiveAndJudge(session: NetSession, frame: Uint8Array, sizes: readonly number[]): Promise<RunFinding> {
  const hdr = session.hdrLength;
  const mrg = session.has(N.VIRTIO_NET_F_MRG_RXBUF);
  const total = hdr + frame.length;
  const posted: number[] = [];
  if (mrg) {
    for (let room = 0, i = 0; room < total; i++) {
      const size = Math.max(hdr, sizes[i % sizes.length] as number);
      posted.push(size);
      room += size;
    }
  } else {
    posted.push(total + (sizes[0] as number));
  }
  for (const size of posted) {
    if ((await postReceive(session, size)) === null) return { kind: 'skip', reason: 'receiveq1 is full' };
  }
  await session.kick(session.rx);
  await session.inject(frame);
  const first = await session.collect(session.rx, 1);
  const rest = first.error === null && first.used.length > 0 ? await session.collect(session.rx, 0) : { used: [], error: null };
  const error = first.error ?? rest.error;
  const used = [...first.used, ...rest.used];
  const shape = `a ${frame.length}-byte frame (${hdr}-byte header${mrg ? ', MRG_RXBUF' : ''}; ${featureNames(session.features).join(', ')}) into buffers of ${posted.join(', ')} bytes`;
  if (error !== null) {
    const clause = session.format === 'split' ? 'split.used.device.2' : 'packed.used.device.1';
    return violation(clause, `${shape}: ${error.message}`, 'used len within the buffer');
  }
  if (used.length === 0) return { kind: 'skip', reason: `the device did not deliver ${shape}` };
  const packet = await readPacket(session, used);
  if (packet === null) return violation(PRIMARY, `${shape}: the first used buffer is shorter than the header (len ${used[0]?.len})`, `a ${hdr}-byte header first`);
  const n = packet.header.numBuffers;
  const lens = used.map((u) => u.len).join(', ');
  if (!mrg) {
    if (n !== 1) return violation('net.rx.device.1', `${shape}: num_buffers ${n}`, 'num_buffers 1 without MRG_RXBUF');
    if (used.length !== 1) return violation('net.rxbuf.device.2', `${shape}: ${used.length} buffers used (len ${lens})`, 'exactly one buffer per packet without MRG_RXBUF');
  } else {
    if (n !== used.length) return violation('net.rx.device.2', `${shape}: num_buffers ${n}, ${used.length} buffers used (len ${lens})`, 'num_buffers = the buffers the packet took');
    for (let i = 0; i + 1 < used.length; i++) {
      const u = used[i] as UsedEntry;
      const size = writableBytes(session, u);
      if (u.len !== size) return violation('net.rx.device.3', `${shape}: buffer ${i + 1} of ${used.length} has used len ${u.len} of ${size}`, 'every buffer but the last filled completely');
    }
  }
  const sum = used.reduce((s, u) => s + u.len, 0);
  if (sum !== total) return violation(PRIMARY, `${shape}: used lens ${lens} add up to ${sum}`, `${total}: the header and the frame`);
  const diff = firstDifference(packet.frame, frame);
  if (diff !== null) return violation(mrg ? 'net.rx.any.0a' : PRIMARY, `${shape}: the packet read back differs: ${diff}`, 'the frame, continuing in each next buffer with no header of its own');
  return OK;
}

const runArb = fc.record({
  mrg: fc.boolean(),
  hashReport: fc.boolean(),
  frames: fc.array(
    fc.record({
      length: fc.integer({ min: MIN_FRAME, max: MAX_FRAME }),
      payload: fc.uint8Array({ minLength: 1, maxLength: 32 }),
      sizes: fc.array(fc.integer({ min: 64, max: 1600 }), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/** A fixed first run per mode, so that a device that gets num_buffers wrong fails on any seed. */
const BASELINE = [
  { mrg: false, hashReport: false, frames: [{ length: 200, payload: Uint8Array.of(1, 2, 3), sizes: [64] }] },
  { mrg: true, hashReport: false, frames: [{ length: 200, payload: Uint8Array.of(1, 2, 3), sizes: [64] }] },
];

/** `datapath.device.rx-num-buffers`: num_buffers = buffers used (1 without MRG_RXBUF), all but the last full, used lens = header + frame (`net.rxbuf.device.1`, `net.rx.device.1`–`.3`, `net.rxbuf.device.2`, `net.rx.any.0a`). */
export const rxNumBuffers: Check<DeviceCheckContext> = {
  id: 'datapath.device.rx-num-buffers',
  title: 'num_buffers is 1 without MRG_RXBUF and the number of buffers used with it; all but the last are full',
  clauses: [PRIMARY, 'net.rx.device.1', 'net.rx.device.2', 'net.rx.device.3', 'net.rxbuf.device.2', 'net.rx.any.0a', 'split.used.device.2', 'packed.used.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'datapath',
  applies: {},
  decision:
    'The device chooses how many buffers to merge (summary.md), so the check does not demand the fewest: it demands num_buffers = ' +
    'the used buffers of the packet, each but the last filled to its length, and used lens adding up to header + frame. The used ' +
    'buffers of a packet are read in used order, first one first (net.rx.device.4). net.rxbuf.device.2 says "a single descriptor"; ' +
    'it is read as a single buffer (descriptor chain), since drivers post multi-descriptor buffers without MRG_RXBUF (R14). A frame ' +
    'the device does not deliver is not judged here.',
  async run(ctx) {
    const rig = await NetRig.create(ctx, { addFeatures: ['VIRTIO_NET_F_HASH_REPORT'] });
    if (!(rig instanceof NetRig)) return rig;
    const runOnce = async ({ mrg, hashReport, frames }: (typeof BASELINE)[number]): Promise<RunFinding> => {
      const want =
        featureMask(N.VIRTIO_NET_F_MAC) |
        (mrg ? featureMask(N.VIRTIO_NET_F_MRG_RXBUF) : 0n) |
        (hashReport ? featureMask(N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ) : 0n);
      const opened = await rig.open({ want });
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.outcome.kind === 'inconclusive' ? opened.outcome.reason : 'not open' };
      const session = opened.session;
      if (mrg !== session.has(N.VIRTIO_NET_F_MRG_RXBUF)) return { kind: 'skip', reason: 'the device does not offer VIRTIO_NET_F_MRG_RXBUF' };
      const dest = (await session.mac()) ?? BROADCAST;
      for (const f of frames) {
        const found = await receiveAndJudge(session, ethernetFrame(dest, f.length, f.payload), f.sizes);
        if (found.kind !== 'ok') return found;
      }
      return OK;
    };
    const skipped: string[] = [];
    for (const run of BASELINE) {
      const found = await runOnce(run);
      if (found.kind === 'violation') return { kind: 'violated', clause: found.clause, observed: found.observed, expected: found.expected };
      if (found.kind === 'skip') skipped.push(found.reason);
    }
    // A device that delivers nothing makes every run wait for a frame: stop here instead.
    if (skipped.length === BASELINE.length) return { kind: 'inconclusive', reason: `no baseline frame was received: ${skipped.join('; ')}` };
    return checkProperty(ctx.config, scaledRuns(ctx.config), runArb, runOnce);
  },
};
