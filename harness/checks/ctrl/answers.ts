/**
 * Device-side checks that every control command comes back answered: the ack byte written with
 * VIRTIO_NET_OK or VIRTIO_NET_ERR (`net.ctrl.any.1`), and the used length not claiming more than
 * the device wrote (`split.used.device.2`, `packed.used.device.1`; bug D13).
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { type CommandCase, commandCase, malformedCase, undefinedCase } from '../../scenarios/ctrl/command-cases.js';
import { ACK_PRESET, type CtrlAnswer, CtrlSession } from '../../scenarios/ctrl/ctrl-session.js';
import { checkProperty, scaledRuns, Undecided, violation } from '../../scenarios/ctrl/property.js';
import { BROAD_PROFILE } from '../../scenarios/ctrl/profiles.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const hex = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;

/** Runs per property: every run sends up to eight commands through the register seam (see {@link scaledRuns}). */
const RUN_DIVISOR = 5;

/** Up to eight commands, among them at least one undefined and one malformed command per run. */
const commandLists = fc
  .tuple(fc.array(commandCase, { maxLength: 6 }), undefinedCase, malformedCase, fc.nat())
  .map(([cases, undefinedOne, malformedOne, at]) => {
    const list = [...cases];
    list.splice(at % (list.length + 1), 0, undefinedOne, malformedOne);
    return list;
  });

/**
 * Sends each case and hands the answer to `judge`. A malformed command answered by setting
 * DEVICE_NEEDS_RESET is let through (see the decision of {@link ctrlAckWritten}); the device is
 * then brought up again for the next case.
 */
async function sendAll(session: CtrlSession, cases: readonly CommandCase[], judge: (c: CommandCase, a: CtrlAnswer, needsReset: boolean) => void): Promise<void> {
  await session.ensureUsable();
  for (const c of cases) {
    const answer = await session.send(c.request);
    if (answer.kind === 'not-sent') throw new Undecided(`the controlq did not take ${c.name}: ${answer.reason}`);
    const needsReset = ((await session.deviceStatus()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
    judge(c, answer, needsReset);
    if (needsReset) session.markDirty();
    await session.ensureUsable();
  }
}

/** `net.ctrl.any.1`: every command is answered and its ack byte holds OK or ERR. */
export const ctrlAckWritten: Check<DeviceCheckContext> = {
  id: 'ctrl.device.ack-written',
  title: 'every control command comes back with the ack byte written as VIRTIO_NET_OK or VIRTIO_NET_ERR',
  clauses: ['net.ctrl.any.1', 'status.device.2'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ'] },
  decision:
    'The ack to a command the driver should not send is unspecified (summary.md "ack on bad input"), so OK and ERR are both accepted for every command, gated or not, defined or not; but an ack is required for each one, since the driver waits for it without a time-out (bug R4). A command whose payload does not frame the structure its (class, command) defines may instead be answered by entering an error state, DEVICE_NEEDS_RESET (status.device.2); an undefined (class, command) pair may not, since the device cannot know its structure.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, BROAD_PROFILE);
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, RUN_DIVISOR), commandLists, (cases) =>
      sendAll(session, cases, (c, answer, needsReset) => {
        const excused = c.shape === 'malformed' && needsReset;
        switch (answer.kind) {
          case 'ring-error':
            throw new Undecided(`the device's used entry for ${c.name} broke the controlq (${answer.error.code}); see ctrl.device.used-len`);
          case 'unanswered':
            if (excused) return;
            return violation('net.ctrl.any.1', `${c.name} (${c.shape}) was never returned on the controlq (device status ${hex(answer.deviceStatus)})`, 'every command is used with its ack written');
          case 'answered': {
            if (answer.ack === VIRTIO_NET_OK || answer.ack === VIRTIO_NET_ERR) return;
            if (answer.ack === ACK_PRESET && excused) return;
            const what = answer.ack === ACK_PRESET ? `the ack byte still holds the preset ${hex(ACK_PRESET)}` : `the ack byte reads ${hex(answer.ack)}`;
            return violation('net.ctrl.any.1', `${c.name} (${c.shape}) was used with used len ${answer.usedLen}, but ${what}`, `ack = VIRTIO_NET_OK (${VIRTIO_NET_OK}) or VIRTIO_NET_ERR (${VIRTIO_NET_ERR})`);
          }
        }
      }),
    );
  },
};

/** `split.used.device.2` / `packed.used.device.1`: a controlq used len never exceeds what was written. */
export const ctrlUsedLen: Check<DeviceCheckContext> = {
  id: 'ctrl.device.used-len',
  title: 'the used length of a control command counts no more than the ack and result bytes the device wrote',
  clauses: ['split.used.device.2', 'packed.used.device.1', 'split.used.device.3', 'net.ctrl.any.1'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ'] },
  decision:
    'Used len must not exceed the bytes written into the writable part: the ack (1 when its byte changed) plus, for commands with a result, the result room. A smaller len, including 0, is accepted: the split ring lets the device under-report (split.used.device.3) and Linux ignores the controlq len; the packed WRITE flag is not visible through the driver ring API, so both rings get the same bound. Windows NetKVM insists on exactly 1 (bug D13), which is not a spec rule.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, BROAD_PROFILE);
    const clause = ctx.config.ring === 'packed' ? 'packed.used.device.1' : 'split.used.device.2';
    // A wrong used len shows on any command, so fewer runs than for the ack.
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 2 * RUN_DIVISOR), commandLists, (cases) =>
      sendAll(session, cases, (c, answer) => {
        if (answer.kind === 'ring-error') {
          if (answer.error.code !== 'used-len-exceeds-writable') throw new Undecided(`ring error on the controlq: ${answer.error.message}`);
          return violation(clause, `${c.name}: used len ${answer.error.len} but the chain has ${answer.writable} device-writable byte(s)`, 'used len ≤ bytes written (ack + result)');
        }
        if (answer.kind !== 'answered') return;
        const ackWritten = answer.ack !== ACK_PRESET;
        const bound = answer.writable > 1 ? (ackWritten ? answer.writable : 0) : ackWritten ? 1 : 0;
        if (answer.usedLen <= bound) return;
        violation(clause, `${c.name}: used len ${answer.usedLen}, ack ${ackWritten ? `written (${hex(answer.ack)})` : 'not written'}, ${answer.writable} writable byte(s)`, `used len ≤ ${bound}, the bytes the device wrote`);
      }),
    );
  },
};
