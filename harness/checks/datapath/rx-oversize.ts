/**
 * Without MRG_RXBUF a packet takes exactly one buffer: a frame too big for the buffers available
 * is not spread over several of them, nor cut to fit one (bug D2, CVE-2015-7295).
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, ethernetFrame, firstDifference, MAX_FRAME } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import type { NetSession } from '../../scenarios/datapath/net-session.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { postReceive, readPacket } from '../../scenarios/datapath/traffic.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'net.rxbuf.device.2';

/**
 * Offers `frame` to buffers each 1 to `frame.length` bytes short of the packet. A used buffer
 * holding one whole packet of a frame in `whole` (every frame injected into the same device,
 * `frame` included) is fine: an earlier frame is a packet a device held back and delivered late
 * (QEMU does, qemu-qtest.md §3.3), and `frame` itself can land whole in a large enough buffer
 * posted for an earlier frame of the session, which the device kept when that frame did not fit
 * (the reference device does). Frame bytes that are not a whole packet are not fine.
 */
async function judgeOversize(session: NetSession, frame: Uint8Array, shortBy: readonly number[], whole: readonly Uint8Array[]): Promise<RunFinding> {
  const hdr = session.hdrLength;
  const sizes = shortBy.map((s) => Math.max(hdr, hdr + frame.length - Math.min(s, frame.length)));
  for (const size of sizes) if ((await postReceive(session, size)) === null) return { kind: 'skip', reason: 'receiveq1 is full' };
  await session.kick(session.rx);
  await session.inject(frame);
  const got = await session.collect(session.rx, 0);
  const shape = `a ${frame.length}-byte frame (${hdr}-byte header, no MRG_RXBUF; ${featureNames(session.features).join(', ')}) and buffers of ${sizes.join(', ')} bytes`;
  if (got.error !== null) {
    const clause = session.format === 'split' ? 'split.used.device.2' : 'packed.used.device.1';
    return violation(clause, `${shape}: ${got.error.message}`, 'used len within the buffer');
  }
  for (const u of got.used) {
    if (u.len <= hdr) continue;
    const packet = await readPacket(session, [u]);
    if (packet !== null && packet.header.numBuffers === 1 && whole.some((f) => firstDifference(packet.frame, f) === null)) continue;
    return violation(
      PRIMARY,
      `${shape}: a buffer came back holding part of a frame (used len ${u.len}, num_buffers ${packet?.header.numBuffers ?? '?'})`,
      'the packet in a single buffer or not at all: dropped (or held) whole, no buffer filled with part of it',
    );
  }
  return OK;
}

const runArb = fc.record({
  frames: fc.array(
    fc.record({
      length: fc.integer({ min: 100, max: MAX_FRAME }),
      payload: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      shortBy: fc.array(fc.integer({ min: 1, max: MAX_FRAME }), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

/** `datapath.device.rx-oversize-no-mrg`: Without MRG_RXBUF a frame too big for the buffer is never spread or cut (`net.rxbuf.device.2`, bug D2). */
export const rxOversizeNoMrg: Check<DeviceCheckContext> = {
  id: 'datapath.device.rx-oversize-no-mrg',
  title: 'Without MRG_RXBUF a frame too big for the buffer is never spread over several buffers or cut to fit',
  clauses: [PRIMARY, 'net.rx.device.1', 'split.used.device.2', 'packed.used.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'datapath',
  applies: { excludes: ['VIRTIO_NET_F_MRG_RXBUF'] },
  decision:
    'The spec does not say what a device does with a packet that fits no buffer; dropping it, holding it until a large enough ' +
    'buffer comes (QEMU, qemu-qtest.md §3.3, so a held frame may turn up whole in a later buffer) and returning the too-small ' +
    'buffer with no frame bytes (used len at most the header) all pass. A buffer returned with frame bytes that are not one whole ' +
    'packet is a packet spread over buffers, or a truncated one, and fails.',
  async run(ctx) {
    const rig = await NetRig.create(ctx);
    if (!(rig instanceof NetRig)) return rig;
    const injected: Uint8Array[] = [];
    const runOnce = async ({ frames }: { frames: readonly { length: number; payload: Uint8Array; shortBy: readonly number[] }[] }): Promise<RunFinding> => {
      const opened = await rig.open({ want: featureMask(N.VIRTIO_NET_F_MAC) });
      if (opened.kind !== 'open') return { kind: 'skip', reason: opened.outcome.kind === 'inconclusive' ? opened.outcome.reason : 'not open' };
      const dest = (await opened.session.mac()) ?? BROADCAST;
      for (const f of frames) {
        const frame = ethernetFrame(dest, f.length, f.payload);
        injected.push(frame);
        const found = await judgeOversize(opened.session, frame, f.shortBy, injected);
        if (found.kind !== 'ok') return found;
      }
      return OK;
    };
    const first = await runOnce({ frames: [{ length: 1000, payload: Uint8Array.of(7), shortBy: [600, 600] }] });
    if (first.kind === 'violation') return { kind: 'violated', clause: first.clause, observed: first.observed, expected: first.expected };
    return checkProperty(ctx.config, scaledRuns(ctx.config), runArb, runOnce);
  },
};
