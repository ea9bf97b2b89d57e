/**
 * Device-side checks of the control commands whose effect shows in config space before the
 * buffer is used: MAC_ADDR_SET and `mac` (`net.ctrl.mac.device.3`), ANNOUNCE_ACK and
 * VIRTIO_NET_S_ANNOUNCE (`net.ctrl.announce.device.1`).
 *
 * @module
 */

import fc from 'fast-check';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { VIRTIO_NET_S_ANNOUNCE } from '../../../specs/net/config.js';
import { announceAckCommand, macAddrSetCommand } from '../../scenarios/ctrl/commands.js';
import { CtrlSession } from '../../scenarios/ctrl/ctrl-session.js';
import { formatMac, sameMac } from '../../scenarios/ctrl/frames.js';
import { checkProperty, scaledRuns, Undecided, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const unicastMac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((m) => {
  m[0] = (m[0] as number) & 0xfe;
  return m;
});

/** `net.ctrl.mac.device.3`: after a MAC_ADDR_SET is used, config `mac` shows the new address. */
export const ctrlMacAddrSetShowsInConfig: Check<DeviceCheckContext> = {
  id: 'ctrl.device.mac-addr-set-updates-config',
  title: 'once MAC_ADDR_SET is used with VIRTIO_NET_OK, config mac reads the address it set',
  clauses: ['net.ctrl.mac.device.3'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_MAC', 'VIRTIO_NET_F_CTRL_MAC_ADDR'] },
  decision: 'Only acknowledged commands are judged: a device may refuse an address (ERR), and then nothing is required of config space. Addresses are unicast, as a driver would set.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_CTRL_MAC_ADDR],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_CTRL_MAC_ADDR],
      rxBuffers: 1,
    });
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 10), fc.array(unicastMac, { minLength: 1, maxLength: 3 }), async (macs) => {
      await session.ensureUsable();
      for (const mac of macs) {
        const a = await session.send(macAddrSetCommand(mac));
        if (a.kind !== 'answered') throw new Undecided(`MAC_ADDR_SET was not answered (${a.kind}); see ctrl.device.ack-written`);
        if (a.ack !== VIRTIO_NET_OK) continue;
        const shown = await session.readMac();
        if (!sameMac(shown, mac)) violation('net.ctrl.mac.device.3', `MAC_ADDR_SET ${formatMac(mac)} was used with VIRTIO_NET_OK, then config mac read ${formatMac(shown)}`, `config mac = ${formatMac(mac)} before the buffer is used`);
      }
    });
  },
};

/** `net.ctrl.announce.device.1`: VIRTIO_NET_S_ANNOUNCE reads clear once ANNOUNCE_ACK is used. */
export const ctrlAnnounceAckClears: Check<DeviceCheckContext> = {
  id: 'ctrl.device.announce-ack-clears-status',
  title: 'once ANNOUNCE_ACK is used, VIRTIO_NET_S_ANNOUNCE reads clear in config status',
  clauses: ['net.ctrl.announce.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_GUEST_ANNOUNCE', 'VIRTIO_NET_F_STATUS'] },
  decision:
    'The clause asks for the bit to be clear before the buffer is used whatever the ack (QEMU answers ERR when no announcement is pending, and both acks are accepted). The harness cannot make a device announce, so the check acknowledges after each bring-up (when a device announces, as after a migration, the bit is set then) and judges the bit afterwards.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_GUEST_ANNOUNCE, N.VIRTIO_NET_F_STATUS],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_GUEST_ANNOUNCE, N.VIRTIO_NET_F_STATUS],
      rxBuffers: 1,
    });
    // Each run brings the device up again: an announcement is raised, if ever, at DRIVER_OK.
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 25, 2), fc.integer({ min: 1, max: 2 }), async (acks) => {
      await session.restart();
      for (let i = 0; i < acks; i++) {
        const before = await session.readNetStatus();
        const a = await session.send(announceAckCommand());
        if (a.kind !== 'answered') throw new Undecided(`ANNOUNCE_ACK was not answered (${a.kind}); see ctrl.device.ack-written`);
        const after = await session.readNetStatus();
        if ((after & VIRTIO_NET_S_ANNOUNCE) !== 0) {
          violation('net.ctrl.announce.device.1', `status read 0x${before.toString(16)} before and 0x${after.toString(16)} after ANNOUNCE_ACK was used (ack 0x${a.ack.toString(16)})`, 'VIRTIO_NET_S_ANNOUNCE (2) clear once the buffer is used');
        }
      }
    });
  },
};
