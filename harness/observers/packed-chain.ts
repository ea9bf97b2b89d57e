/**
 * Walking one packed-ring list (or indirect descriptor) the driver just made
 * available, with the observer's own reader, checking the driver's list
 * rules on the way (virtio 1.4 sections 2.8.1, 2.8.6, 2.8.7, 2.8.17, 2.8.19).
 *
 * @module
 */

import {
  PVIRTQ_DESC_SIZE,
  pvirtq_desc,
  VIRTQ_DESC_F_AVAIL_BIT,
  VIRTQ_DESC_F_USED_BIT,
} from '../../specs/virtqueue/packed.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../specs/virtqueue/split.js';
import { DIGEST_SEED, digestRange, readU64, type MemoryReader } from './memory-reader.js';
import { hex, wrapAt } from './ring-observer.js';
import type { ChainReport } from './split-chain.js';

/** What the observer remembers of a buffer from the moment its head became available. */
export interface PackedBuffer {
  /** Buffer ID from the last descriptor of the list. */
  readonly id: number;
  /** Absolute ring position (free-running, not modulo Q) of the head. */
  readonly firstPos: number;
  /** Ring slots the list occupies (an indirect buffer occupies one). */
  readonly descCount: number;
  /** Device-readable regions inside guest memory (indirect table included), as flat (addr, len) pairs. */
  readonly readable: readonly number[];
  /** Total bytes of the writable elements; Infinity when the buffer could not be read to its end. */
  readonly writableBytes: number;
  /** Indirect table address and length, or -1 / 0. */
  readonly indirectAddr: number;
  readonly indirectLen: number;
  /** Digest of the indirect table, updated when re-checked. */
  indirectDigest: number;
  /** Digest of the device-readable bytes, updated when re-checked. */
  readableDigest: number;
}

/** Fixed inputs of a list walk. */
export interface PackedWalkContext {
  readonly reader: MemoryReader;
  readonly descAddr: number;
  readonly size: number;
  readonly indirectNegotiated: boolean;
}

/** Why a walk could not produce a buffer; the violation was already reported. */
export interface PackedWalkFailure {
  readonly kind: 'walk-failed';
  readonly reason: string;
}

const FLAGS = pvirtq_desc.fields.flags.offset;
const ID = pvirtq_desc.fields.id.offset;
const LEN = pvirtq_desc.fields.len.offset;
const ADDR = pvirtq_desc.fields.addr.offset;

/**
 * Walks the list whose head at absolute position `firstPos` just became
 * available. `devicePos` is the device's next used position: the list may
 * not reach Q positions past it (`packed.sg.driver.5`).
 */
export function walkPackedList(
  ctx: PackedWalkContext,
  firstPos: number,
  devicePos: number,
  report: ChainReport,
): PackedBuffer | PackedWalkFailure {
  const { reader, descAddr, size } = ctx;
  const readable: number[] = [];
  let writableBytes = 0;
  let seenWritable = false;
  let broken = false;
  let indirectAddr = -1;
  let indirectLen = 0;
  let pos = firstPos;
  let n = 0;
  let lastAt = 0;

  const region = (addr: number, len: number, writable: boolean, where: string): void => {
    if (writable) {
      seenWritable = true;
      writableBytes += len;
      return;
    }
    if (seenWritable) {
      report('ring.packed.readable-before-writable', `device-readable ${where} after a device-writable one`, 'all device-readable elements before all device-writable ones');
    }
    if (addr >= 0 && reader.contains(addr, len)) readable.push(addr, len);
  };

  for (;;) {
    if (n >= size) {
      report('ring.packed.list-length', `list from position ${firstPos} runs past ${size} descriptors`, `at most the queue size ${size}`);
      return { kind: 'walk-failed', reason: 'a list longer than the ring' };
    }
    if (pos - devicePos >= size) {
      report('ring.packed.ring-space', `list from position ${firstPos} reaches position ${pos}, ${pos - devicePos} past the device's next used position ${devicePos}`, `at most ${size} descriptors outstanding`);
      return { kind: 'walk-failed', reason: 'a list running into slots not yet used' };
    }
    const slot = pos % size;
    const at = descAddr + PVIRTQ_DESC_SIZE * slot;
    const flags = reader.read16(at + FLAGS);
    const wrap = wrapAt(pos, size);
    if (n > 0) {
      if (((flags >>> VIRTQ_DESC_F_AVAIL_BIT) & 1) !== wrap) {
        report('ring.packed.head-last', `head at slot ${firstPos % size} is available while list descriptor at slot ${slot} is not (flags ${hex(flags)})`, 'every later descriptor of the list available before the head');
        return { kind: 'walk-failed', reason: 'a list published head first' };
      }
      if (((flags >>> VIRTQ_DESC_F_USED_BIT) & 1) === wrap) {
        report('ring.packed.avail-wrap', `list descriptor at slot ${slot} has AVAIL = USED = ${wrap} (flags ${hex(flags)})`, `AVAIL ${wrap}, USED ${1 - wrap} in every descriptor of the list`, 'packed.chain.driver.2');
      }
    }
    const len = reader.read32(at + LEN);
    const addr = readU64(reader, at + ADDR);
    if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
      if (!ctx.indirectNegotiated) {
        report('ring.packed.indirect-negotiated', `descriptor at slot ${slot} has INDIRECT (flags ${hex(flags)})`, 'no INDIRECT without VIRTIO_F_INDIRECT_DESC');
      }
      if (n > 0 || (flags & VIRTQ_DESC_F_NEXT) !== 0) {
        report('ring.packed.indirect-alone', `INDIRECT descriptor at slot ${slot} is part of a NEXT-linked list`, 'an INDIRECT descriptor alone in its list');
      }
      indirectAddr = addr;
      indirectLen = len;
      broken ||= walkPackedIndirect(ctx, slot, addr, len, readable, region, report);
    } else {
      region(addr, len, (flags & VIRTQ_DESC_F_WRITE) !== 0, `descriptor at slot ${slot}`);
    }
    n++;
    pos++;
    lastAt = at;
    if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
  }
  const buffer: PackedBuffer = {
    id: reader.read16(lastAt + ID),
    firstPos,
    descCount: n,
    readable,
    writableBytes: broken ? Number.POSITIVE_INFINITY : writableBytes,
    indirectAddr,
    indirectLen,
    indirectDigest: 0,
    readableDigest: 0,
  };
  buffer.indirectDigest = packedIndirectDigest(reader, buffer);
  return buffer;
}

/** Checks an indirect table; returns true when it could not be read. */
function walkPackedIndirect(
  ctx: PackedWalkContext,
  slot: number,
  addr: number,
  len: number,
  readableOut: number[],
  region: (addr: number, len: number, writable: boolean, where: string) => void,
  report: ChainReport,
): boolean {
  const { reader } = ctx;
  if (len === 0 || len % PVIRTQ_DESC_SIZE !== 0) {
    report('ring.packed.indirect-table-len', `indirect table at slot ${slot} has len ${len}`, 'a non-zero multiple of 16');
  }
  const entries = Math.floor(len / PVIRTQ_DESC_SIZE);
  if (entries === 0) return false;
  if (addr < 0 || !reader.contains(addr, entries * PVIRTQ_DESC_SIZE)) return true;
  readableOut.push(addr, entries * PVIRTQ_DESC_SIZE);
  let reportedFlags = false;
  for (let j = 0; j < entries; j++) {
    const at = addr + PVIRTQ_DESC_SIZE * j;
    const flags = reader.read16(at + FLAGS);
    if ((flags & ~VIRTQ_DESC_F_WRITE) !== 0 && !reportedFlags) {
      reportedFlags = true;
      report('ring.packed.indirect-entry-flags', `indirect entry ${j} of the table at slot ${slot} has flags ${hex(flags)}`, 'no flag except WRITE');
    }
    region(readU64(reader, at + ADDR), reader.read32(at + LEN), (flags & VIRTQ_DESC_F_WRITE) !== 0, `indirect entry ${j}`);
  }
  return false;
}

/** Digest of a buffer's indirect table, or the seed without one. */
export function packedIndirectDigest(reader: MemoryReader, buffer: PackedBuffer): number {
  if (buffer.indirectAddr < 0 || !reader.contains(buffer.indirectAddr, buffer.indirectLen)) return DIGEST_SEED;
  return digestRange(reader, buffer.indirectAddr, buffer.indirectLen);
}
