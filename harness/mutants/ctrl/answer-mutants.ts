/**
 * Device mutants that answer control commands wrongly: no ack, a made-up ack value, no answer
 * at all, a used length that counts the whole chain.
 *
 * @module
 */

import { ctrlCommand } from '../../../specs/net/ctrl.js';
import type { DeviceMutant } from '../mutant.js';
import { ctrlMutantAdapter } from './device-seams.js';

/** Acks as VIRTIO_NET_OK or VIRTIO_NET_ERR by type, whatever value a mutant writes. */
type AnyAck = 0 | 1;

/** Completes every refused command without setting the ack: the byte keeps the driver's 0xFF preset. */
export const ackNeverWritten: DeviceMutant = {
  id: 'device.ctrl.err-ack-not-written',
  title: 'returns refused control commands with the ack byte left as the driver preset it',
  imitates: 'linux-driver-facts §2.1: a device that completes without writing the status byte; Linux then reads 0xFF as failure',
  killedBy: ['ctrl.device.ack-written'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'err-ack-not-written',
    command: (_k, _c, _p, next) => {
      const out = next();
      return out.kind === 'ack' && out.ack !== 0 ? { ...out, ack: 0xff as AnyAck } : out;
    },
  }),
};

/** Answers ERR with the value 2, which is neither VIRTIO_NET_OK nor VIRTIO_NET_ERR. */
export const ackOutOfRange: DeviceMutant = {
  id: 'device.ctrl.err-ack-value-2',
  title: 'writes 2 into the ack byte of every refused control command',
  imitates: 'a device that returns its own error codes in the ack byte instead of VIRTIO_NET_ERR',
  killedBy: ['ctrl.device.ack-written'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'err-ack-value-2',
    command: (_k, _c, _p, next) => {
      const out = next();
      return out.kind === 'ack' && out.ack !== 0 ? { ...out, ack: 2 as AnyAck } : out;
    },
  }),
};

/** Never returns a command whose (class, command) it does not know. */
export function silentOnUndefined(): DeviceMutant {
  let swallow = false;
  return {
    id: 'device.ctrl.silent-on-undefined-command',
    title: 'keeps the chain of an undefined control command forever, never answering it',
    imitates: 'R4: QEMU went broken on a command it could not parse and never answered; the Linux driver busy-waits for the answer with no time-out',
    killedBy: ['ctrl.device.ack-written'],
    role: 'device',
    adapter: ctrlMutantAdapter({
      name: 'silent-on-undefined-command',
      command: (klass, command, _p, next) => {
        swallow = ctrlCommand(klass, command) === undefined;
        return next();
      },
      controlqPush: (inner, chain, len) => {
        if (swallow) {
          swallow = false;
          return;
        }
        inner.push(chain, len);
      },
    }),
  };
}

/** Reports the whole chain length (readable + writable) as the controlq used length. */
export const usedLenWholeChain: DeviceMutant = {
  id: 'device.ctrl.used-len-whole-chain',
  title: 'reports readable plus writable bytes as the used length of a control command',
  imitates: 'D13: cloud-hypervisor reported the total descriptor length for controlq buffers (746114319)',
  killedBy: ['ctrl.device.used-len'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'used-len-whole-chain',
    controlqPush: (inner, chain) => inner.push(chain, chain.readableBytes + chain.writableBytes),
  }),
};
