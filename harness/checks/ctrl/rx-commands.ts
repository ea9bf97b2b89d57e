/**
 * Device-side checks that the receive-mode commands a negotiated feature brings are supported:
 * answered VIRTIO_NET_OK when well formed (`net.ctrl.rx.device.1`, `net.ctrl.rx.device.5`).
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_RX_EXTRA, VIRTIO_NET_F_CTRL_VQ } from '../../../specs/features/net.js';
import { VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { RX_MODE_NAMES, type RxModeName, rxModeCommand } from '../../scenarios/ctrl/commands.js';
import { CtrlSession } from '../../scenarios/ctrl/ctrl-session.js';
import { checkProperty, scaledRuns, Undecided, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const SUPPORT_DECISION =
  'A device that "supports" a command answers a well-formed one (on/off byte 0 or 1) with VIRTIO_NET_OK: an ERR would leave the driver unable to use a mode the negotiated feature promises. Malformed commands are not sent here.';

function rxSupportCheck(id: string, clause: string, feature: string, bit: number, modes: readonly RxModeName[]): Check<DeviceCheckContext> {
  const arbitrary = fc.array(fc.tuple(fc.constantFrom(...modes), fc.boolean()), { minLength: modes.length, maxLength: 2 * modes.length });
  return {
    id,
    title: `the ${modes.map((m) => m.toUpperCase()).join(', ')} commands are answered VIRTIO_NET_OK when ${feature} is negotiated`,
    clauses: [clause, 'net.ctrl.any.1'],
    role: 'device',
    level: 'MUST',
    area: 'ctrl',
    applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', feature] },
    decision: SUPPORT_DECISION,
    async run(ctx) {
      const session = await CtrlSession.open(ctx, { accept: [VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_RX, bit], require: [VIRTIO_NET_F_CTRL_VQ, bit], rxBuffers: 1 });
      return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 10), arbitrary, async (steps) => {
        await session.ensureUsable();
        for (const [mode, on] of steps) {
          const a = await session.send(rxModeCommand(mode, on));
          if (a.kind !== 'answered') throw new Undecided(`${mode.toUpperCase()} ${on ? 1 : 0} was not answered (${a.kind}); see ctrl.device.ack-written`);
          if (a.ack !== VIRTIO_NET_OK) {
            violation(clause, `${mode.toUpperCase()} ${on ? 1 : 0} (class 0, command ${RX_MODE_NAMES.indexOf(mode)}) was answered 0x${a.ack.toString(16)}`, `VIRTIO_NET_OK: the device supports the command when ${feature} is negotiated`);
          }
        }
      });
    },
  };
}

/** `net.ctrl.rx.device.1`: PROMISC and ALLMULTI are supported with CTRL_RX. */
export const ctrlRxCommandsSupported = rxSupportCheck('ctrl.device.rx-commands-supported', 'net.ctrl.rx.device.1', 'VIRTIO_NET_F_CTRL_RX', VIRTIO_NET_F_CTRL_RX, ['promisc', 'allmulti']);

/** `net.ctrl.rx.device.5`: ALLUNI, NOMULTI, NOUNI and NOBCAST are supported with CTRL_RX_EXTRA. */
export const ctrlRxExtraCommandsSupported = rxSupportCheck('ctrl.device.rx-extra-commands-supported', 'net.ctrl.rx.device.5', 'VIRTIO_NET_F_CTRL_RX_EXTRA', VIRTIO_NET_F_CTRL_RX_EXTRA, [
  'alluni',
  'nomulti',
  'nouni',
  'nobcast',
]);
