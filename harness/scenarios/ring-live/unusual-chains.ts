/**
 * Well-formed but unusual transmit chains a scripted driver publishes, each
 * exercising a device MUST about indirect descriptors that Linux never
 * tests: direct descriptors ending in an indirect one
 * (`split.indirect.device.2`), WRITE on the descriptor pointing to a table
 * (`split.indirect.device.1`, `packed.indirect.any.1`), and reserved flags
 * and ids inside a packed table (`packed.indirect.any.1`). The device must
 * transmit exactly the frame the chain holds.
 *
 * @module
 */

import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../specs/virtqueue/index.js';
import type { RingFormat } from '../../../reference-impl/virtqueue/index.js';
import { type RawDesc, type ScriptedPackedRing, type ScriptedRing, type ScriptedSplitRing, writePackedDesc, writeSplitDesc } from './scripted-ring.js';

/** Where the chain's bytes are: header, then frame, contiguous; `cut` splits the frame in two segments. */
export interface UnusualBuffer {
  readonly buffer: number;
  readonly headerLength: number;
  readonly frameLength: number;
  /** Frame bytes in the first frame segment (1 .. frameLength − 1). */
  readonly cut: number;
  /** 16-aligned room for one table of 4 entries (64 bytes). */
  readonly table: number;
}

/** One unusual chain layout. */
export interface UnusualChain {
  readonly name: string;
  readonly format: RingFormat;
  /** The clause that obliges the device to handle it. */
  readonly clause: string;
  /** What the clause requires, in words. */
  readonly requires: string;
  publish(ring: ScriptedRing, b: UnusualBuffer): void;
}

const header = (b: UnusualBuffer): RawDesc => ({ addr: b.buffer, len: b.headerLength, flags: 0 });
const first = (b: UnusualBuffer, flags = 0): RawDesc => ({ addr: b.buffer + b.headerLength, len: b.cut, flags });
const second = (b: UnusualBuffer, flags = 0): RawDesc => ({ addr: b.buffer + b.headerLength + b.cut, len: b.frameLength - b.cut, flags });

/** Every unusual chain, split first. */
export const UNUSUAL_CHAINS: readonly UnusualChain[] = [
  {
    name: 'direct-then-indirect',
    format: 'split',
    clause: 'split.indirect.device.2',
    requires: 'a chain of direct descriptors ending in one INDIRECT descriptor handled as one buffer',
    publish(r, b) {
      const ring = r as ScriptedSplitRing;
      writeSplitDesc(ring.mem, b.table, first(b, VIRTQ_DESC_F_NEXT), 1);
      writeSplitDesc(ring.mem, b.table + 16, second(b), 0);
      ring.publish(ring.chain([header(b), { addr: b.table, len: 32, flags: VIRTQ_DESC_F_INDIRECT }]));
    },
  },
  {
    name: 'write-on-indirect-pointer',
    format: 'split',
    clause: 'split.indirect.device.1',
    requires: 'WRITE on the descriptor that points to an indirect table ignored',
    publish(r, b) {
      const ring = r as ScriptedSplitRing;
      writeSplitDesc(ring.mem, b.table, { ...header(b), flags: VIRTQ_DESC_F_NEXT }, 1);
      writeSplitDesc(ring.mem, b.table + 16, { ...first(b), flags: VIRTQ_DESC_F_NEXT }, 2);
      writeSplitDesc(ring.mem, b.table + 32, second(b), 0);
      ring.publish(ring.chain([{ addr: b.table, len: 48, flags: VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE }]));
    },
  },
  {
    name: 'write-on-indirect-pointer',
    format: 'packed',
    clause: 'packed.indirect.any.1',
    requires: 'WRITE on the descriptor that points to a packed indirect table ignored',
    publish(r, b) {
      const ring = r as ScriptedPackedRing;
      [header(b), first(b), second(b)].forEach((d, k) => writePackedDesc(ring.mem, b.table + 16 * k, d, 0, d.flags));
      ring.publish([{ addr: b.table, len: 48, flags: VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE }], ring.nextId());
    },
  },
  {
    name: 'reserved-flags-in-table',
    format: 'packed',
    clause: 'packed.indirect.any.1',
    requires: 'flags other than WRITE and the id of packed indirect table entries ignored',
    publish(r, b) {
      const ring = r as ScriptedPackedRing;
      const reserved = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT;
      [header(b), first(b), second(b)].forEach((d, k) => writePackedDesc(ring.mem, b.table + 16 * k, d, 0x7777 + k, d.flags | reserved));
      ring.publish([{ addr: b.table, len: 48, flags: VIRTQ_DESC_F_INDIRECT }], ring.nextId());
    },
  },
];

/** The unusual chains of a ring format. */
export function unusualChainsFor(format: RingFormat): readonly UnusualChain[] {
  return UNUSUAL_CHAINS.filter((c) => c.format === format);
}
