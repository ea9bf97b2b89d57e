/**
 * A transmit chain shorter than the header (or holding nothing but a header) is a driver error
 * the device must survive: it drops the chain or sets DEVICE_NEEDS_RESET, and nothing made up
 * from it reaches the wire (bugs D15, D21, R11).
 *
 * @module
 */

import { featureMask } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, ethernetFrame, firstDifference } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import type { NetSession } from '../../scenarios/datapath/net-session.js';
import { withHeader } from '../../scenarios/datapath/traffic.js';
import { cutBytes, HEADER_FEATURE_OFFER, HEADER_LENGTH_CLASSES } from '../../scenarios/header/header-features.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'status.device.2';

/** The short chains tried for a header of `hdr` bytes: readable length and descriptor cuts. */
function shortChains(hdr: number): { readonly length: number; readonly cuts: readonly number[] }[] {
  return [
    { length: 1, cuts: [] },
    { length: hdr - 1, cuts: [] },
    { length: hdr - 1, cuts: [Math.floor(hdr / 2)] },
    { length: hdr, cuts: [] },
    { length: hdr, cuts: [2, hdr - 2] },
  ];
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** `header.device.tx-short-chain`: A transmit chain no longer than the header is dropped or answered with DEVICE_NEEDS_RESET (`status.device.2`; the driver broke `net.tx.driver.1`). */
export const txShortChain: Check<DeviceCheckContext> = {
  id: 'header.device.tx-short-chain',
  title: 'A transmit chain no longer than the header is dropped or answered with DEVICE_NEEDS_RESET, never sent or crashed on',
  clauses: [PRIMARY, 'net.tx.driver.1', 'framing.device.1'],
  role: 'device',
  level: 'SHOULD',
  area: 'header',
  applies: {},
  decision:
    'A chain shorter than the header breaks net.tx.driver.1; the spec says no more of the device than that an error only a reset ' +
    'clears SHOULD set DEVICE_NEEDS_RESET (status.device.2). Both recoveries pass: the chain comes back used and the next frame ' +
    'goes out, or DEVICE_NEEDS_RESET is set. Failing: any frame made from the chain on the wire (a header-only chain has no frame, ' +
    'so not even an empty one), a throw out of the notification (a crash), or a chain neither returned nor answered by ' +
    'DEVICE_NEEDS_RESET. Reported at the SHOULD level of status.device.2, the only clause on the device\'s side.',
  async run(ctx) {
    const rig = await NetRig.create(ctx, { addFeatures: [...HEADER_FEATURE_OFFER] });
    if (!(rig instanceof NetRig)) return rig;
    const seen = new Set<number>();
    for (const want of HEADER_LENGTH_CLASSES) {
      const features = want | featureMask(N.VIRTIO_NET_F_MAC);
      const probe = await rig.open({ want: features });
      if (probe.kind !== 'open' || seen.has(probe.session.hdrLength)) continue;
      seen.add(probe.session.hdrLength);
      for (const short of shortChains(probe.session.hdrLength)) {
        // A fresh negotiation per chain: DEVICE_NEEDS_RESET from one must not decide the next.
        const opened = await rig.open({ want: features });
        if (opened.kind !== 'open') return opened.outcome;
        const outcome = await tryShortChain(opened.session, short);
        if (outcome !== null) return outcome;
      }
    }
    return seen.size === 0 ? { kind: 'inconclusive', reason: 'the device refused every feature set tried' } : { kind: 'met' };
  },
};

const FENCE = ethernetFrame(BROADCAST, 64, Uint8Array.of(0x5a, 0xa5));

/** Sends the short chain, then a valid frame, and judges what came of both. */
async function tryShortChain(session: NetSession, short: { readonly length: number; readonly cuts: readonly number[] }): Promise<CheckOutcome | null> {
  const hdr = session.hdrLength;
  const shape = `a transmit chain of ${short.length} readable bytes${short.cuts.length > 0 ? ` in ${short.cuts.length + 1} descriptors` : ''} with a ${hdr}-byte header`;
  const failed = (when: string, error: unknown): CheckOutcome => ({
    kind: 'violated',
    clause: PRIMARY,
    observed: `${shape}${when}: the device failed (${message(error)})`,
    expected: 'the chain dropped, or DEVICE_NEEDS_RESET set',
  });
  await session.drainWire();
  const placed = await session.place(
    session.tx,
    cutBytes(new Uint8Array(short.length), short.cuts).map((bytes) => ({ kind: 'out' as const, bytes })),
  );
  if (placed === null) return { kind: 'inconclusive', reason: 'transmitq1 refused a buffer' };
  try {
    await session.kick(session.tx);
  } catch (error) {
    return failed('', error);
  }
  const next = await session.place(session.tx, [{ kind: 'out', bytes: withHeader(new Uint8Array(hdr), FENCE) }]);
  if (next === null) return { kind: 'inconclusive', reason: 'transmitq1 refused a buffer' };
  try {
    await session.kick(session.tx);
  } catch (error) {
    return failed(', then a valid frame', error);
  }
  const back = await session.collect(session.tx, 2);
  const wire = await session.drainWire();
  return judge(shape, wire, FENCE, await session.needsReset(), back.used.some((u) => u.token === placed.token));
}

function judge(shape: string, wire: readonly Uint8Array[], fence: Uint8Array, needsReset: boolean, returned: boolean): CheckOutcome | null {
  const made = wire.filter((f) => firstDifference(f, fence) !== null);
  if (made.length > 0) {
    return {
      kind: 'violated',
      clause: PRIMARY,
      observed: `${shape}: the device sent a ${made[0]?.length}-byte frame made from it`,
      expected: 'nothing from that chain on the wire',
    };
  }
  if (needsReset) return null;
  if (!returned) {
    return {
      kind: 'violated',
      clause: PRIMARY,
      observed: `${shape}: the chain was not returned and DEVICE_NEEDS_RESET is clear`,
      expected: 'the chain returned (dropped), or DEVICE_NEEDS_RESET set',
    };
  }
  if (wire.length !== 1) {
    return {
      kind: 'violated',
      clause: PRIMARY,
      observed: `${shape}: dropped, but the valid frame after it did not go out and DEVICE_NEEDS_RESET is clear`,
      expected: 'the device keeps transmitting after dropping the chain, or sets DEVICE_NEEDS_RESET',
    };
  }
  return null;
}
