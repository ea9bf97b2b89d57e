/**
 * Device-side walks of indirect descriptor tables (virtio 1.4 sections
 * 2.7.5.3 and 2.8.7), shared by the split and packed device queues. Both
 * check the pointing descriptor, the table's placement and every entry, and
 * stop after at most `limit` entries.
 *
 * @module
 */

import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../specs/virtqueue/index.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { DeviceChain } from './device-chain.js';
import { type DeviceRingError, deviceRingError, type RingFormat } from './ring-error.js';

/**
 * The pointing descriptor, passed without allocating: `[at, lo, hi, len,
 * flags]`, where `at` is its descriptor index (split) or ring slot (packed).
 */
export type IndirectPointer = Uint32Array;

/** Checks the pointing descriptor and the table placement; returns the entry count or an error. */
function openTable(
  mem: GuestMemory,
  format: RingFormat,
  negotiated: boolean,
  head: number,
  pointer: Uint32Array,
  limit: number,
): number | DeviceRingError {
  const at = pointer[0] as number;
  const lo = pointer[1] as number;
  const hi = pointer[2] as number;
  const len = pointer[3] as number;
  const flags = pointer[4] as number;
  if (!negotiated) return deviceRingError(format, 'indirect-not-negotiated', head, at);
  if ((flags & VIRTQ_DESC_F_NEXT) !== 0) return deviceRingError(format, 'indirect-with-next', head, at);
  if (len === 0) return deviceRingError(format, 'indirect-table-empty', head, at);
  if ((len & 15) !== 0) return deviceRingError(format, 'indirect-len-not-multiple-of-16', head, at, false, `len ${len}`);
  if (hi !== 0 || lo > mem.size - len) return deviceRingError(format, 'address-out-of-range', head, at);
  const entries = len >>> 4;
  if (entries > limit) return deviceRingError(format, 'chain-too-long', head, at, false, `${entries} indirect entries, room for ${limit}`);
  return entries;
}

/**
 * Appends the entries of a split indirect table to `chain`, which may
 * already hold the direct descriptors before it (`split.indirect.device.2`).
 * Entries are linked by NEXT/`next`; a table of n entries visited n+1 times
 * loops. WRITE on the pointing descriptor is ignored (`split.indirect.device.1`).
 * `limit` is the queue size minus the direct descriptors already walked
 * (`split.indirect.driver.3`).
 */
export function walkSplitIndirect(
  mem: GuestMemory,
  negotiated: boolean,
  chain: DeviceChain,
  head: number,
  p: IndirectPointer,
  limit: number,
): DeviceRingError | null {
  const entries = openTable(mem, 'split', negotiated, head, p, limit);
  const table = p[1] as number;
  if (typeof entries !== 'number') return entries;
  chain.indirect = true;
  chain.ringDescs = chain.count + 1;
  let writable = chain.count > chain.readableCount;
  let j = 0;
  for (let steps = 1; ; steps++) {
    // The table need not be aligned, so it is read through the checked accessors.
    const e = table + (j << 4);
    const lo = mem.read32(e);
    const hi = mem.read32(e + 4);
    const len = mem.read32(e + 8);
    const flags = mem.read16(e + 12);
    if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) return deviceRingError('split', 'nested-indirect', head, j, true);
    if (len === 0) return deviceRingError('split', 'zero-length-descriptor', head, j, true);
    if (hi !== 0 || lo > mem.size - len) return deviceRingError('split', 'address-out-of-range', head, j, true);
    if ((flags & VIRTQ_DESC_F_WRITE) !== 0) writable = true;
    else if (writable) return deviceRingError('split', 'writable-before-readable', head, j, true);
    chain.append(lo, len, writable);
    if ((flags & VIRTQ_DESC_F_NEXT) === 0) return null;
    const next = mem.read16(e + 14);
    if (next >= entries) return deviceRingError('split', 'next-out-of-range', head, j, true, `next ${next}`);
    if (steps === entries) return deviceRingError('split', 'chain-loop', head, next, true);
    j = next;
  }
}

/**
 * Fills `chain` from a packed indirect table: entries are sequential and
 * only their WRITE flag counts; id and other flags are ignored
 * (`packed.indirect.any.1`), so INDIRECT inside a packed table is not an
 * error. At most `limit` (the queue size) entries (`packed.sg.driver.2`).
 */
export function walkPackedIndirect(
  mem: GuestMemory,
  negotiated: boolean,
  chain: DeviceChain,
  slot: number,
  p: IndirectPointer,
  limit: number,
): DeviceRingError | null {
  const entries = openTable(mem, 'packed', negotiated, slot, p, limit);
  const table = p[1] as number;
  if (typeof entries !== 'number') return entries;
  chain.clear();
  chain.indirect = true;
  chain.ringDescs = 1;
  let writable = false;
  for (let j = 0; j < entries; j++) {
    const e = table + (j << 4);
    const lo = mem.read32(e);
    const hi = mem.read32(e + 4);
    const len = mem.read32(e + 8);
    const flags = mem.read16(e + 14);
    if (len === 0) return deviceRingError('packed', 'zero-length-descriptor', slot, j, true);
    if (hi !== 0 || lo > mem.size - len) return deviceRingError('packed', 'address-out-of-range', slot, j, true);
    if ((flags & VIRTQ_DESC_F_WRITE) !== 0) writable = true;
    else if (writable) return deviceRingError('packed', 'writable-before-readable', slot, j, true);
    chain.append(lo, len, writable);
  }
  return null;
}
