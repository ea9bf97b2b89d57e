/**
 * Device-side check of MQ_HASH_CONFIG with hash reporting and automatic steering: no hash is
 * reported before the driver configures one, and a valid HASH_CONFIG is supported
 * (`net.ctrl.hashcfg.any.2`, `net.ctrl.hashcfg.device.1`).
 *
 * @module
 */

import fc from 'fast-check';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { virtio_net_config } from '../../../specs/net/config.js';
import { VIRTIO_NET_HASH_REPORT_NONE } from '../../../specs/net/hash.js';
import { virtio_net_hdr } from '../../../specs/net/hdr.js';
import { hashConfigCommand, readLe16 } from '../../scenarios/ctrl/commands.js';
import { CtrlSession } from '../../scenarios/ctrl/ctrl-session.js';
import { describeFlow, flowFrame, ipv4Flow } from '../../scenarios/ctrl/flows.js';
import { BROADCAST_MAC } from '../../scenarios/ctrl/frames.js';
import { checkProperty, scaledRuns, Undecided, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const CFG = virtio_net_config.fields;
const HASH_REPORT_AT = virtio_net_hdr.fields.hash_report.offset;

/** `net.ctrl.hashcfg.any.2`, `net.ctrl.hashcfg.device.1`. */
export const ctrlHashConfig: Check<DeviceCheckContext> = {
  id: 'ctrl.device.hash-config',
  title: 'with HASH_REPORT, frames carry hash_report NONE until the driver configures hashing, and a valid HASH_CONFIG is answered VIRTIO_NET_OK',
  clauses: ['net.ctrl.hashcfg.any.2', 'net.ctrl.hashcfg.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_HASH_REPORT'], excludes: ['VIRTIO_NET_F_RSS'] },
  decision:
    'RSS is declined so that steering is automatic, the case hashcfg.device.1 covers. "Supports MQ_HASH_CONFIG" is read as: a command within supported_hash_types and rss_max_key_size is answered VIRTIO_NET_OK. Every run starts from a device reset, where all hash types are disabled.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      offer: ['VIRTIO_NET_F_HASH_REPORT'],
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_MAC],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_HASH_REPORT],
      decline: [N.VIRTIO_NET_F_RSS],
      rxBuffers: 4,
    });
    const supported = await session.readConfig(CFG.supported_hash_types.offset, 4);
    const keySize = await session.readConfig(CFG.rss_max_key_size.offset, 1);
    const dst = session.has(N.VIRTIO_NET_F_MAC) ? await session.readMac() : BROADCAST_MAC;
    const arbitrary = fc.record({ flows: fc.array(ipv4Flow, { minLength: 1, maxLength: 4 }), types: fc.nat(0x1ff).map((t) => t & supported), key: fc.uint8Array({ minLength: keySize, maxLength: keySize }) });
    let seq = 0;
    // A reset per run (about 2 ms through the register seam): a twentieth of the configured runs.
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 20), arbitrary, async ({ flows, types, key }) => {
      await session.restart();
      for (const flow of flows) {
        const got = await session.inject(flowFrame(dst, flow, seq++), describeFlow(flow));
        if (got.kind === 'ring-error') throw new Undecided(`receive ring error: ${got.error.message}`);
        for (const d of got.deliveries) {
          if (d.header.length < HASH_REPORT_AT + 2) continue;
          const report = readLe16(d.header, HASH_REPORT_AT);
          if (report !== VIRTIO_NET_HASH_REPORT_NONE) {
            violation('net.ctrl.hashcfg.any.2', `before any hash configuration since reset, a frame of ${describeFlow(flow)} arrived with hash_report ${report}`, 'hash_report = VIRTIO_NET_HASH_REPORT_NONE (0): every hash type starts disabled');
          }
        }
      }
      const a = await session.send(hashConfigCommand(types, key));
      if (a.kind !== 'answered') throw new Undecided(`HASH_CONFIG was not answered (${a.kind}); see ctrl.device.ack-written`);
      if (a.ack !== VIRTIO_NET_OK) {
        violation('net.ctrl.hashcfg.device.1', `HASH_CONFIG hash_types 0x${types.toString(16)} (within supported 0x${supported.toString(16)}) with a ${keySize}-byte key was answered 0x${a.ack.toString(16)}`, 'VIRTIO_NET_OK: the device supports MQ_HASH_CONFIG');
      }
    });
  },
};
