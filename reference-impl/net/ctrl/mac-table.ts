/**
 * MAC_TABLE_SET payload (virtio 1.4 5.1.9.5.2, `net.ctrl.mac.driver.3`,
 * `net.ctrl.mac.driver.4`): `le32 n_uc; n_uc × 6 bytes; le32 n_mc;
 * n_mc × 6 bytes`, the counts guest-native over the legacy interface
 * (`net.ctrl.mac.legacy.1.device`). Over legacy framing the two tables come
 * in two descriptors; the chain handler concatenates them first.
 *
 * The counts are trusted only as far as the bytes present: a count whose
 * entries are not all there makes the command malformed, so a lying count
 * can never make the device read past the payload or allocate for it.
 *
 * @module
 */

import { ETH_ALEN } from '../../../specs/net/ctrl-payloads.js';
import { macToNumber } from '../filter/mac-address.js';
import { type ParseResult, malformed, parsed } from './parse-result.js';

/** The two tables of a MAC_TABLE_SET, as 48-bit MAC numbers in driver order. */
export interface MacTables {
  /** First table: the driver's unicast (non-multicast) addresses. */
  readonly unicast: readonly number[];
  /** Second table: multicast addresses. */
  readonly multicast: readonly number[];
}

function u32(b: Uint8Array, at: number, littleEndian: boolean): number {
  const x0 = b[at] as number;
  const x1 = b[at + 1] as number;
  const x2 = b[at + 2] as number;
  const x3 = b[at + 3] as number;
  return (littleEndian ? x0 | (x1 << 8) | (x2 << 16) | (x3 << 24) : (x0 << 24) | (x1 << 16) | (x2 << 8) | x3) >>> 0;
}

function readTable(payload: Uint8Array, at: number, which: string, littleEndian: boolean): ParseResult<{ macs: number[]; end: number }> {
  if (payload.length < at + 4) return malformed(`MAC_TABLE_SET: no room for the ${which} count at byte ${at}`);
  const count = u32(payload, at, littleEndian);
  const room = Math.floor((payload.length - at - 4) / ETH_ALEN);
  if (count > room) return malformed(`MAC_TABLE_SET: ${which} count ${count} but only ${room} entries' bytes present`);
  const macs: number[] = [];
  for (let i = 0; i < count; i++) macs.push(macToNumber(payload, at + 4 + ETH_ALEN * i));
  return parsed({ macs, end: at + 4 + ETH_ALEN * count });
}

/**
 * Parses MAC_TABLE_SET data. `strict` rejects bytes after the multicast
 * table (QEMU does too).
 */
export function parseMacTableSet(payload: Uint8Array, littleEndian: boolean, strict: boolean): ParseResult<MacTables> {
  const uc = readTable(payload, 0, 'unicast', littleEndian);
  if (uc.kind !== 'parsed') return uc;
  const mc = readTable(payload, uc.value.end, 'multicast', littleEndian);
  if (mc.kind !== 'parsed') return mc;
  if (strict && mc.value.end !== payload.length) {
    return malformed(`MAC_TABLE_SET: ${payload.length - mc.value.end} bytes after the multicast table`);
  }
  return parsed(Object.freeze({ unicast: Object.freeze(uc.value.macs), multicast: Object.freeze(mc.value.macs) }));
}
