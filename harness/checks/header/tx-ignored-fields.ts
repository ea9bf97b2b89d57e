/**
 * Transmit header fields the device must not act on: unknown `flags` bits (`net.tx.device.1`)
 * and `csum_start` / `csum_offset` while VIRTIO_NET_HDR_F_NEEDS_CSUM is clear (`net.tx.device.2`).
 * Either way the frame on the wire is the frame the driver wrote, byte for byte.
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask, featureNames } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, firstDifference, frameTo } from '../../scenarios/datapath/frames.js';
import { openNetSession } from '../../scenarios/datapath/net-rig.js';
import type { NetSession } from '../../scenarios/datapath/net-session.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import { transmitCut, withHeader } from '../../scenarios/datapath/traffic.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';


/** The header fields a run sets; all others stay zero (no offload, num_buffers 0). */
interface HeaderGarbage {
  readonly flags: number;
  readonly csumStart: number;
  readonly csumOffset: number;
}

function headerBytes(length: number, g: HeaderGarbage): Uint8Array {
  const hdr = new Uint8Array(length);
  hdr[0] = g.flags;
  hdr[6] = g.csumStart & 0xff;
  hdr[7] = g.csumStart >>> 8;
  hdr[8] = g.csumOffset & 0xff;
  hdr[9] = g.csumOffset >>> 8;
  return hdr;
}

async function sendAndJudge(session: NetSession, clause: string, g: HeaderGarbage, frame: Uint8Array): Promise<RunFinding> {
  const sent = await transmitCut(session, withHeader(headerBytes(session.hdrLength, g), frame), []);
  if (sent.kind === 'not-placed') return { kind: 'skip', reason: 'transmitq1 refused the buffer (full or broken)' };
  const shape =
    `a ${frame.length}-byte frame behind flags 0x${g.flags.toString(16)}, csum_start ${g.csumStart}, csum_offset ${g.csumOffset}, ` +
    `gso_type NONE (${featureNames(session.features).join(', ')})`;
  const expected = 'the frame on the wire exactly as written, as if the ignored fields were zero';
  if (sent.wire.length !== 1) return violation(clause, `${shape}: ${sent.wire.length} frames on the wire`, expected);
  const diff = firstDifference(sent.wire[0] as Uint8Array, frame);
  if (diff !== null) return violation(clause, `${shape}: the frame on the wire differs: ${diff}`, expected);
  return OK;
}

function ignoredFieldCheck(
  id: string,
  title: string,
  clause: 'net.tx.device.1' | 'net.tx.device.2',
  level: 'MUST' | 'MUST NOT',
  garbage: fc.Arbitrary<HeaderGarbage>,
  decision: string,
  requires: readonly string[],
): Check<DeviceCheckContext> {
  return {
    id,
    title,
    clauses: [clause],
    role: 'device',
    level,
    area: 'header',
    applies: requires.length === 0 ? {} : { requires },
    decision,
    async run(ctx) {
      // CSUM is negotiated when offered, so that a device which knows NEEDS_CSUM is judged where it could misapply it.
      const opened = await openNetSession(ctx, {
        want: featureMask(N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_CSUM),
        ...(requires.length === 0 ? {} : { need: featureMask(N.VIRTIO_NET_F_CSUM) }),
        device: { addFeatures: ['VIRTIO_NET_F_CSUM'] },
      });
      if (opened.kind !== 'open') return opened.outcome;
      const session = opened.session;
      // One session serves every run; each run is one frame, so a quarter of the configured runs suffices.
      return checkProperty(ctx.config, scaledRuns(ctx.config, 4), fc.tuple(garbage, frameTo(BROADCAST)), ([g, frame]) =>
        sendAndJudge(session, clause, g, frame),
      );
    },
  };
}

/** `header.device.tx-unknown-flags`: unknown transmit flag bits change nothing (`net.tx.device.1`). */
export const txUnknownFlags = ignoredFieldCheck(
  'header.device.tx-unknown-flags',
  'The device ignores unknown flag bits in the transmit header',
  'net.tx.device.1',
  'MUST',
  fc.record({ flags: fc.integer({ min: 1, max: 15 }).map((b) => b << 4), csumStart: fc.constant(0), csumOffset: fc.constant(0) }),
  'Unknown bits are 0x10..0x80: NEEDS_CSUM (1), DATA_VALID (2), RSC_INFO (4) and UDP_TUNNEL_CSUM (8) are defined, and a device may ' +
    'drop the defined ones where they are not allowed (net.tx.driver.45, net.tx.driver.22). CSUM is required because without it ' +
    'net.tx.driver.3 makes any non-zero flags a driver error the device may refuse. With NEEDS_CSUM clear and gso_type NONE the ' +
    'only allowed outcome is the frame on the wire unchanged.',
  ['VIRTIO_NET_F_CSUM'],
);

/** Offsets inside a short frame as often as anywhere in the 16-bit range. */
const offsetField = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffff }));

/** `header.device.tx-csum-fields-ignored`: csum_start / csum_offset without NEEDS_CSUM change nothing (`net.tx.device.2`). */
export const txCsumFieldsIgnored = ignoredFieldCheck(
  'header.device.tx-csum-fields-ignored',
  'The device ignores csum_start and csum_offset when NEEDS_CSUM is clear',
  'net.tx.device.2',
  'MUST NOT',
  fc
    .record({ csumStart: offsetField, csumOffset: offsetField })
    .filter((g) => g.csumStart !== 0 || g.csumOffset !== 0)
    .map((g) => ({ flags: 0, ...g })),
  'Any csum_start / csum_offset, inside the frame or past it, with flags 0 and gso_type NONE: the only allowed outcome is the frame ' +
    'on the wire unchanged (no checksum written, no drop).',
  [],
);
