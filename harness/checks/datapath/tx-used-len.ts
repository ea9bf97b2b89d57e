/**
 * A transmit buffer has no device-writable bytes, so the device reports used len 0 for it
 * (bug D13: cloud-hypervisor reported a nonzero transmit length).
 *
 * @module
 */

import { featureMask } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { BROADCAST, ethernetFrame } from '../../scenarios/datapath/frames.js';
import { NetRig } from '../../scenarios/datapath/net-rig.js';
import { transmitCut, withHeader } from '../../scenarios/datapath/traffic.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const PRIMARY = 'split.used.device.2';

/** Frame lengths and descriptor cuts sent: one descriptor, header apart, and a three-way split. */
const SENDS: readonly { readonly length: number; readonly cuts: (hdr: number) => number[] }[] = [
  { length: 60, cuts: () => [] },
  { length: 1514, cuts: (hdr) => [hdr] },
  { length: 300, cuts: (hdr) => [5, hdr + 100] },
];

/** `datapath.device.tx-used-len`: Transmit buffers come back with used len 0 (`split.used.device.2`, `packed.used.device.1`, bug D13). */
export const txUsedLen: Check<DeviceCheckContext> = {
  id: 'datapath.device.tx-used-len',
  title: 'Transmit buffers come back with used len 0',
  clauses: [PRIMARY, 'packed.used.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'datapath',
  applies: {},
  decision:
    'used len counts the bytes written into device-writable descriptors; a transmit buffer has none, so any used len but 0 ' +
    'claims bytes that were never written (split.used.device.2). On a packed ring len is reserved when the used descriptor has ' +
    'no WRITE flag (packed.used.device.1) and reads as 0; a WRITE flag with a nonzero len on a buffer with no writable bytes fails.',
  async run(ctx) {
    const opened = await (async () => {
      const rig = await NetRig.create(ctx);
      return rig instanceof NetRig ? rig.open({ want: featureMask(N.VIRTIO_NET_F_MAC) }) : ({ kind: 'not-open', outcome: rig } as const);
    })();
    if (opened.kind !== 'open') return opened.outcome;
    const session = opened.session;
    const clause = session.format === 'split' ? PRIMARY : 'packed.used.device.1';
    for (const send of SENDS) {
      const frame = ethernetFrame(BROADCAST, send.length, Uint8Array.of(3, 1, 4, 1, 5));
      const sent = await transmitCut(session, withHeader(new Uint8Array(session.hdrLength), frame), send.cuts(session.hdrLength));
      if (sent.kind === 'not-placed') return { kind: 'inconclusive', reason: 'transmitq1 refused a buffer' };
      const shape = `a ${frame.length}-byte frame in descriptors of ${sent.lengths.join(' + ')} bytes`;
      if (sent.used.error !== null) return { kind: 'violated', clause, observed: `${shape}: ${sent.used.error.message}`, expected: 'used len 0' };
      const used = sent.used.used[0];
      if (used === undefined) return { kind: 'inconclusive', reason: `the device did not return ${shape}` };
      if (used.len !== 0) return { kind: 'violated', clause, observed: `${shape}: used len ${used.len}`, expected: 'used len 0' };
    }
    return { kind: 'met' };
  },
};
