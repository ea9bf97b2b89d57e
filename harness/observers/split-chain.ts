/**
 * Walking one split-ring descriptor chain with the observer's own reader,
 * checking the driver's well-formedness rules on the way (2.7.4, 2.7.5).
 *
 * @module
 */

import {
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_SIZE,
  virtq_desc,
} from '../../specs/virtqueue/split.js';
import { DIGEST_SEED, digestRange, readU64, type MemoryReader } from './memory-reader.js';
import { hex } from './ring-observer.js';
import type { RingRuleId } from './ring-rules.js';

/** What the observer remembers of a chain from the moment avail.idx covered it. */
export interface SplitChain {
  /** Head descriptor index (the used id that completes it). */
  readonly head: number;
  /** Free-running avail entry number (not modulo Q) that published it. */
  readonly entry: number;
  /** Descriptor-table indices of the chain, in order. */
  readonly descIndices: readonly number[];
  /** Indirect table address and length in bytes, or -1 / 0 without one. */
  readonly indirectAddr: number;
  readonly indirectLen: number;
  /** Device-readable regions inside guest memory, as flat (addr, len) pairs. */
  readonly readable: readonly number[];
  /** Total bytes of the writable descriptors; Infinity when the chain could not be walked to its end. */
  readonly writableBytes: number;
  /**
   * Buffer descriptors walked: direct ones and indirect entries, not the
   * descriptor pointing at an indirect table (QEMU counts the same way).
   */
  readonly descCount: number;
  /** Digest of the chain's descriptors and indirect table, updated when re-checked. */
  descDigest: number;
  /** Digest of the device-readable bytes, updated when re-checked. */
  readableDigest: number;
}

/** Receives a driver violation found while walking. */
export type ChainReport = (rule: RingRuleId, observed: string, expected: string, clause?: string) => void;

/** Fixed inputs of a chain walk. */
export interface SplitWalkContext {
  readonly reader: MemoryReader;
  readonly descAddr: number;
  readonly size: number;
  readonly indirectNegotiated: boolean;
  readonly inOrder: boolean;
  /** Scratch of length `size` with visit stamps, so nothing is cleared per walk. */
  readonly marks: { readonly visited: Int32Array; stamp: number };
}

const FLAGS = virtq_desc.fields.flags.offset;
const NEXT = virtq_desc.fields.next.offset;
const LEN = virtq_desc.fields.len.offset;
const ADDR = virtq_desc.fields.addr.offset;
const TWO_POW_32 = 4294967296;

/**
 * Walks the chain whose head was published at avail entry `entry`,
 * reporting each well-formedness violation once, and returns what the
 * observer needs to judge the device later.
 */
export function walkSplitChain(ctx: SplitWalkContext, head: number, entry: number, report: ChainReport): SplitChain {
  const { reader, descAddr, size } = ctx;
  const stamp = (ctx.marks.stamp = (ctx.marks.stamp + 1) | 0);
  const visited = ctx.marks.visited;
  const descIndices: number[] = [];
  const readable: number[] = [];
  let writableBytes = 0;
  let totalLen = 0;
  let seenWritable = false;
  let broken = false;
  let indirectAddr = -1;
  let indirectLen = 0;
  let count = 0;

  const region = (addr: number, len: number, writable: boolean, where: string): void => {
    totalLen += len;
    if (writable) {
      seenWritable = true;
      writableBytes += len;
    } else {
      if (seenWritable) {
        report('ring.split.readable-before-writable', `device-readable ${where} after a device-writable one`, 'all device-readable descriptors before all device-writable ones');
      }
      if (addr >= 0 && reader.contains(addr, len)) readable.push(addr, len);
    }
  };

  let i = head;
  for (;;) {
    if (i >= size) {
      report('ring.split.chain-next-in-range', `descriptor index ${i} in the chain of head ${head}`, `an index below the queue size ${size}`);
      broken = true;
      break;
    }
    if (visited[i] === stamp) {
      report('ring.split.chain-no-loop', `chain of head ${head} returns to descriptor ${i}`, 'a chain without loops');
      broken = true;
      break;
    }
    visited[i] = stamp;
    descIndices.push(i);
    const at = descAddr + VIRTQ_DESC_SIZE * i;
    const flags = reader.read16(at + FLAGS);
    const len = reader.read32(at + LEN);
    const addr = readU64(reader, at + ADDR);
    const next = reader.read16(at + NEXT);

    if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
      if (!ctx.indirectNegotiated) {
        report('ring.split.indirect-negotiated', `descriptor ${i} has INDIRECT (flags ${hex(flags)})`, 'no INDIRECT without VIRTIO_F_INDIRECT_DESC');
      }
      if ((flags & VIRTQ_DESC_F_NEXT) !== 0) {
        report('ring.split.indirect-no-next', `descriptor ${i} has INDIRECT and NEXT (flags ${hex(flags)})`, 'INDIRECT and NEXT never together');
      }
      indirectAddr = addr;
      indirectLen = len;
      const walked = walkIndirect(ctx, head, addr, len, count, region, readable, report);
      count = walked.count;
      broken ||= walked.broken;
      break;
    }
    count++;
    region(addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0, `descriptor ${i}`);
    if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
    if (ctx.inOrder && next !== (i + 1) % size) {
      report('ring.split.in-order-next', `descriptor ${i} has next ${next}`, `next ${(i + 1) % size} with VIRTIO_F_IN_ORDER`, 'split.desc.driver.2');
    }
    i = next;
  }

  if (count > size) {
    report('ring.split.chain-length', `chain of head ${head} has ${count} descriptors`, `at most the queue size ${size}`);
  }
  if (totalLen >= TWO_POW_32) {
    report('ring.split.chain-no-loop', `chain of head ${head} totals ${totalLen} bytes`, 'a total below 2^32 bytes');
  }
  const chain: SplitChain = {
    head,
    entry,
    descIndices,
    indirectAddr,
    indirectLen,
    readable,
    writableBytes: broken ? Number.POSITIVE_INFINITY : writableBytes,
    descCount: count,
    descDigest: 0,
    readableDigest: 0,
  };
  chain.descDigest = splitChainDescDigest(ctx, chain);
  chain.readableDigest = readableDigest(reader, readable);
  return chain;
}

/** Walks an indirect table; returns the running descriptor count and whether the walk stopped early. */
function walkIndirect(
  ctx: SplitWalkContext,
  head: number,
  addr: number,
  len: number,
  countBefore: number,
  region: (addr: number, len: number, writable: boolean, where: string) => void,
  readableOut: number[],
  report: ChainReport,
): { count: number; broken: boolean } {
  const { reader, size } = ctx;
  let count = countBefore;
  if (len === 0 || len % VIRTQ_DESC_SIZE !== 0) {
    report('ring.split.indirect-table-len', `indirect table of head ${head} has len ${len}`, 'a non-zero multiple of 16');
  }
  const entries = Math.floor(len / VIRTQ_DESC_SIZE);
  if (entries === 0) return { count, broken: false };
  if (addr < 0 || !reader.contains(addr, entries * VIRTQ_DESC_SIZE)) return { count, broken: true };
  // The table is itself device-readable: the device must not write it either.
  readableOut.push(addr, entries * VIRTQ_DESC_SIZE);
  // Entries are bounded by `size + 1` steps: a longer walk is already a violation, and random
  // lengths from an adversarial ring must not make the observer loop for long.
  let j = 0;
  for (let steps = 0; ; steps++) {
    if (j >= entries) {
      report('ring.split.chain-next-in-range', `indirect entry index ${j} in the table of head ${head}`, `an index below the table's ${entries} entries`);
      return { count, broken: true };
    }
    if (steps >= entries || count > size) {
      if (steps >= entries) report('ring.split.chain-no-loop', `indirect table of head ${head} loops`, 'a chain without loops');
      return { count, broken: true };
    }
    count++;
    const at = addr + VIRTQ_DESC_SIZE * j;
    const flags = reader.read16(at + FLAGS);
    const next = reader.read16(at + NEXT);
    if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
      report('ring.split.indirect-not-nested', `indirect entry ${j} of head ${head} has INDIRECT`, 'one level of indirection only');
    }
    region(readU64(reader, at + ADDR), reader.read32(at + LEN), (flags & VIRTQ_DESC_F_WRITE) !== 0, `indirect entry ${j}`);
    if ((flags & VIRTQ_DESC_F_NEXT) === 0) return { count, broken: false };
    if (ctx.inOrder && next !== j + 1) {
      report('ring.split.in-order-next', `indirect entry ${j} has next ${next}`, `next ${j + 1} with VIRTIO_F_IN_ORDER`, 'split.indirect.driver.5');
    }
    j = next;
  }
}

/** Digest of a chain's descriptor entries and its indirect table. */
export function splitChainDescDigest(ctx: SplitWalkContext, chain: SplitChain): number {
  let h = DIGEST_SEED;
  for (const i of chain.descIndices) {
    if (i < ctx.size) h = digestRange(ctx.reader, ctx.descAddr + VIRTQ_DESC_SIZE * i, VIRTQ_DESC_SIZE, h);
  }
  if (chain.indirectAddr >= 0 && ctx.reader.contains(chain.indirectAddr, chain.indirectLen)) {
    h = digestRange(ctx.reader, chain.indirectAddr, chain.indirectLen, h);
  }
  return h;
}

/** Digest of the bytes in flat (addr, len) regions, all inside memory. */
export function readableDigest(reader: MemoryReader, regions: readonly number[]): number {
  let h = DIGEST_SEED;
  for (let k = 0; k + 1 < regions.length; k += 2) {
    h = digestRange(reader, regions[k] as number, regions[k + 1] as number, h);
  }
  return h;
}
