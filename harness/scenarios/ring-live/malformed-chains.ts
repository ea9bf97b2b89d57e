/**
 * Malformed descriptor chains a scripted driver publishes on a transmitq,
 * each breaking one driver rule of virtio 1.4 sections 2.7 and 2.8 (or a
 * rule real devices enforce, such as no zero-length buffers, bug D4), with
 * a well-formed frame in its buffers so only the ring structure is wrong.
 * Modelled on the device bugs of linux-driver-facts §5: loops and long
 * chains (D12), index jumps (D3, D24), zero lengths (D4).
 *
 * @module
 */

import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_WRITE } from '../../../specs/virtqueue/index.js';
import type { RingFormat } from '../../../reference-impl/virtqueue/index.js';
import { type RawDesc, type ScriptedPackedRing, type ScriptedRing, type ScriptedSplitRing, writePackedDesc, writeSplitDesc } from './scripted-ring.js';

/** Memory a case may use: a transmit buffer holding header + frame, and room for indirect tables. */
export interface MalformedScratch {
  /** Guest address of the header; the frame follows it. */
  readonly buffer: number;
  /** Header length. */
  readonly headerLength: number;
  /** Frame length. */
  readonly frameLength: number;
  /** 16-aligned room for two indirect tables of 4 entries (128 bytes). */
  readonly tables: number;
  /** Guest memory size: addresses at or beyond it are outside guest memory. */
  readonly memorySize: number;
}

/** One malformed chain. */
export interface MalformedCase {
  /** Short name for reports. */
  readonly name: string;
  readonly format: RingFormat;
  /** Whether VIRTIO_F_INDIRECT_DESC must be negotiated (true), must not be (false), or either (undefined). */
  readonly indirect?: boolean;
  /** The rule the chain breaks, as a catalog clause ID or a short account. */
  readonly breaks: string;
  /** Writes and publishes the chain. */
  publish(ring: ScriptedRing, scratch: MalformedScratch): void;
}

const whole = (s: MalformedScratch): RawDesc => ({ addr: s.buffer, len: s.headerLength + s.frameLength, flags: 0 });
const header = (s: MalformedScratch, flags = 0): RawDesc => ({ addr: s.buffer, len: s.headerLength, flags });
const frame = (s: MalformedScratch, flags = 0): RawDesc => ({ addr: s.buffer + s.headerLength, len: s.frameLength, flags });
const table = (s: MalformedScratch, len: number): RawDesc => ({ addr: s.tables, len, flags: VIRTQ_DESC_F_INDIRECT });

function split(name: string, breaks: string, publish: (r: ScriptedSplitRing, s: MalformedScratch) => void, indirect?: boolean): MalformedCase {
  return {
    name,
    format: 'split',
    breaks,
    ...(indirect === undefined ? {} : { indirect }),
    publish: (r, s) => publish(r as ScriptedSplitRing, s),
  };
}

function packed(name: string, breaks: string, publish: (r: ScriptedPackedRing, s: MalformedScratch) => void, indirect?: boolean): MalformedCase {
  return {
    name,
    format: 'packed',
    breaks,
    ...(indirect === undefined ? {} : { indirect }),
    publish: (r, s) => publish(r as ScriptedPackedRing, s),
  };
}

/** Writes split indirect table entries at `at`, linked 0 → 1 → … unless `next` says otherwise. */
function splitTable(r: ScriptedSplitRing, at: number, entries: readonly RawDesc[], next?: readonly number[]): void {
  for (const [k, d] of entries.entries()) writeSplitDesc(r.mem, at + 16 * k, d, next?.[k] ?? k + 1);
}

/** Writes packed indirect table entries at `at` (sequential, id 0). */
function packedTable(r: ScriptedPackedRing, at: number, entries: readonly RawDesc[]): void {
  for (const [k, d] of entries.entries()) writePackedDesc(r.mem, at + 16 * k, d, 0, d.flags);
}

const NEXT = 1;

/** Every malformed chain, split first. */
export const MALFORMED_CASES: readonly MalformedCase[] = [
  split('loop-to-self', 'split.desc.driver.1', (r, s) => {
    const [d] = r.take(1) as [number];
    r.desc(d, { ...whole(s), flags: NEXT }, d);
    r.publish(d);
  }),
  split('loop-of-two', 'split.desc.driver.1', (r, s) => {
    const [a, b] = r.take(2) as [number, number];
    r.desc(a, header(s, NEXT), b);
    r.desc(b, frame(s, NEXT), a);
    r.publish(a);
  }),
  split('next-out-of-range', 'split.indirect.driver.3', (r, s) => {
    const [d] = r.take(1) as [number];
    r.desc(d, header(s, NEXT), r.layout.size + 7);
    r.publish(d);
  }),
  split('zero-length-buffer', 'D4 (CVE-2016-6490)', (r, s) => r.publish(r.chain([header(s), { ...frame(s), len: 0 }]))),
  split('buffer-outside-memory', 'rfb.driver.5', (r, s) => r.publish(r.chain([{ addr: s.memorySize + 0x1000, len: 72, flags: 0 }]))),
  split('writable-before-readable', 'framing.driver.1', (r, s) => r.publish(r.chain([header(s, VIRTQ_DESC_F_WRITE), frame(s)]))),
  split('head-out-of-range', 'split.indirect.driver.3', (r) => r.publish(r.layout.size + 3)),
  split('avail-idx-jump', 'split.avail.driver.1', (r) => r.jump(r.layout.size + 5)),
  split('indirect-with-next', 'split.indirect.driver.4', (r, s) => {
    splitTable(r, s.tables, [whole(s)]);
    const [a, b] = r.take(2) as [number, number];
    r.desc(a, { ...table(s, 16), flags: VIRTQ_DESC_F_INDIRECT | NEXT }, b);
    r.desc(b, whole(s), 0);
    r.publish(a);
  }, true),
  split('nested-indirect', 'split.indirect.driver.2', (r, s) => {
    splitTable(r, s.tables + 64, [whole(s)]);
    splitTable(r, s.tables, [{ addr: s.tables + 64, len: 16, flags: VIRTQ_DESC_F_INDIRECT }]);
    r.publish(r.chain([table(s, 16)]));
  }, true),
  split('indirect-length-not-multiple-of-16', 'split.indirect.driver.3', (r, s) => {
    splitTable(r, s.tables, [header(s, NEXT), frame(s)]);
    r.publish(r.chain([table(s, 24)]));
  }, true),
  split('indirect-table-empty', 'split.indirect.driver.3', (r, s) => r.publish(r.chain([table(s, 0)])), true),
  split('indirect-table-loop', 'split.desc.driver.1', (r, s) => {
    splitTable(r, s.tables, [header(s, NEXT), frame(s, NEXT)], [1, 0]);
    r.publish(r.chain([table(s, 32)]));
  }, true),
  split('indirect-not-negotiated', 'split.indirect.driver.1', (r, s) => {
    splitTable(r, s.tables, [whole(s)]);
    r.publish(r.chain([table(s, 16)]));
  }, false),
  packed('list-into-unavailable-slot', 'packed.chain.driver.2', (r, s) => r.publish([header(s), frame(s)], r.nextId(), { count: 1 })),
  packed('zero-length-buffer', 'D4 (CVE-2016-6490)', (r, s) => r.publish([header(s), { ...frame(s), len: 0 }], r.nextId())),
  packed('buffer-outside-memory', 'rfb.driver.5', (r, s) => r.publish([{ addr: s.memorySize + 0x1000, len: 72, flags: 0 }], r.nextId())),
  packed('writable-before-readable', 'packed.sg.driver.3', (r, s) => r.publish([header(s, VIRTQ_DESC_F_WRITE), frame(s)], r.nextId())),
  packed('indirect-in-list', 'packed.indirect.driver.4', (r, s) => {
    packedTable(r, s.tables, [whole(s)]);
    r.publish([table(s, 16), whole(s)], r.nextId());
  }, true),
  packed('indirect-length-not-multiple-of-16', 'packed.indirect.driver.3', (r, s) => {
    packedTable(r, s.tables, [header(s), frame(s)]);
    r.publish([table(s, 24)], r.nextId());
  }, true),
  packed('indirect-table-empty', 'packed.indirect.driver.3', (r, s) => r.publish([table(s, 0)], r.nextId()), true),
  packed('indirect-not-negotiated', 'packed.indirect.driver.1', (r, s) => {
    packedTable(r, s.tables, [whole(s)]);
    r.publish([table(s, 16)], r.nextId());
  }, false),
];

/** The cases for a ring format, given whether VIRTIO_F_INDIRECT_DESC was negotiated. */
export function malformedCasesFor(format: RingFormat, indirect: boolean): readonly MalformedCase[] {
  return MALFORMED_CASES.filter((c) => c.format === format && (c.indirect === undefined || c.indirect === indirect));
}

/** Publishes one well-formed single-descriptor frame buffer. */
export function publishWellFormed(ring: ScriptedRing, buffer: number, length: number): void {
  const d: RawDesc = { addr: buffer, len: length, flags: 0 };
  if (ring.format === 'split') ring.publish(ring.chain([d]));
  else ring.publish([d], ring.nextId());
}
