/**
 * Guest memory of a QEMU as a {@link GuestMemoryPort}: `view` is a local mirror of guest RAM from
 * address 0 (so a harness address is the guest-physical address the device uses), `push` copies a
 * range of the mirror into QEMU with `b64write`, `pull` copies it back with `b64read`. The
 * allocator starts at 1 MiB, above the legacy VGA/BIOS holes, which are not RAM on a PC.
 *
 * @module
 */

import { GuestAllocator, GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { GuestMemoryPort } from '../contract.js';
import type { QtestClient } from './qtest-client.js';

/** Where harness allocations start: the first RAM a PC has no legacy use for. */
export const QEMU_ALLOCATION_BASE = 0x10_0000;

/** Options of {@link qtestMemoryPort}. */
export interface QtestMemoryPortOptions {
  /** Size of the mirrored window (guest RAM must be at least this large). @default 4 MiB */
  readonly size?: number;
  /** First address the allocator hands out. @default 1 MiB */
  readonly allocationBase?: number;
}

/** Transfer counters, for timings and tests. */
export interface MemoryPortStats {
  pushes: number;
  pulls: number;
  bytesPushed: number;
  bytesPulled: number;
}

/** A memory port over `qtest`, with its transfer counters. */
export function qtestMemoryPort(qtest: QtestClient, options: QtestMemoryPortOptions = {}): GuestMemoryPort & { readonly stats: MemoryPortStats } {
  const view = new GuestMemory(options.size ?? 4 << 20);
  const allocator = new GuestAllocator(view, options.allocationBase ?? QEMU_ALLOCATION_BASE);
  const stats: MemoryPortStats = { pushes: 0, pulls: 0, bytesPushed: 0, bytesPulled: 0 };
  const check = (addr: number, len: number, what: string): void => {
    if (!view.contains(addr, len)) throw new RangeError(`${what} of ${len} bytes at 0x${addr.toString(16)} outside the ${view.size}-byte mirror`);
  };
  return {
    view,
    allocator,
    stats,
    push(addr, len) {
      check(addr, len, 'push');
      if (len === 0) return undefined;
      stats.pushes++;
      stats.bytesPushed += len;
      // b64write encodes synchronously, so later writes to the mirror do not leak into this push.
      return qtest.b64write(addr, view.bytes(addr, len));
    },
    async pull(addr, len) {
      check(addr, len, 'pull');
      if (len === 0) return;
      stats.pulls++;
      stats.bytesPulled += len;
      view.writeBytes(addr, await qtest.b64read(addr, len));
    },
  };
}
