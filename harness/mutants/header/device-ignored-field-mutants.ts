/**
 * Device mutants for the transmit header fields a device must ignore: one acts on unknown flag
 * bits, one applies csum_start / csum_offset although NEEDS_CSUM is clear.
 *
 * @module
 */

import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceMutant } from '../mutant.js';
import { patchTxHandle } from './seams.js';

/**
 * A transmit path that reads any flag bit the spec does not define (0x10..0x80) as "drop this frame" (a device that
 * treats unknown flags as an error instead of ignoring them, `net.tx.device.1`): the chain is
 * completed and nothing reaches the wire.
 */
export const txDropsUnknownFlags: DeviceMutant = {
  id: 'device.header.tx-drops-unknown-flags',
  title: 'Drops transmit frames whose header has unknown flag bits',
  killedBy: ['header.device.tx-unknown-flags'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-drops-unknown-flags',
    tamper: (device) =>
      patchTxHandle(device, (_tx, original, queue, queueIndex, chain) => {
        const flags = device.core.context.memory.u8[chain.addr[0] as number] as number;
        if ((flags & 0xf0) === 0) return original(queue, queueIndex, chain);
        queue.push(chain, 0);
      }),
  }),
};

/**
 * A transmit path that tests `csum_start != 0` instead of the NEEDS_CSUM flag (`net.tx.device.2`):
 * it sets NEEDS_CSUM in the guest's header before the reference reads it, so a stale csum_start
 * makes the device write a checksum into the frame (or drop it when the offsets are out of range).
 */
export const txCsumWithoutFlag: DeviceMutant = {
  id: 'device.header.tx-csum-without-needs-csum',
  title: 'Applies csum_start / csum_offset whenever csum_start is non-zero, ignoring NEEDS_CSUM',
  killedBy: ['header.device.tx-csum-fields-ignored'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-csum-without-needs-csum',
    tamper: (device) =>
      patchTxHandle(device, (_tx, original, queue, queueIndex, chain) => {
        const u8 = device.core.context.memory.u8;
        const at = chain.addr[0] as number;
        // Only whole headers in the first descriptor are rewritten; the check sends exactly that.
        if ((chain.len[0] as number) >= 10 && ((u8[at + 6] as number) | (u8[at + 7] as number) | (u8[at + 8] as number) | (u8[at + 9] as number)) !== 0) {
          u8[at] = (u8[at] as number) | 1;
        }
        return original(queue, queueIndex, chain);
      }),
  }),
};

/** The mutants of this module. */
export const deviceIgnoredFieldMutants: readonly DeviceMutant[] = [txDropsUnknownFlags, txCsumWithoutFlag];
