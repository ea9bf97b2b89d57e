/**
 * Reading and writing `struct virtio_net_hdr` at a negotiated length
 * (10 … 32 bytes, `virtioNetHdrLength`). Positions come from the specs/
 * layout; a shorter header is a prefix, so fields past the length read 0
 * and are never written.
 *
 * @module
 */

import { virtio_net_hdr } from '../../specs/net/hdr.js';

/** The header fields the device uses, as plain numbers. */
export interface NetHdrFields {
  /** `flags` (u8). */
  flags: number;
  /** `gso_type` (u8). */
  gsoType: number;
  /** `hdr_len` (le16). */
  hdrLen: number;
  /** `gso_size` (le16). */
  gsoSize: number;
  /** `csum_start` (le16). */
  csumStart: number;
  /** `csum_offset` (le16). */
  csumOffset: number;
  /** `num_buffers` (le16), present from 12 bytes. */
  numBuffers: number;
  /** `hash_value` (le32), present from 20 bytes. */
  hashValue: number;
  /** `hash_report` (le16), present from 20 bytes. */
  hashReport: number;
  /** `outer_th_offset` (le16), present from 24 bytes. */
  outerThOffset: number;
  /** `inner_nh_offset` (le16), present from 24 bytes. */
  innerNhOffset: number;
  /** `outer_nh_offset` (le16), present with 32 bytes. */
  outerNhOffset: number;
}

/** All-zero header fields. */
export function emptyNetHdr(): NetHdrFields {
  return {
    flags: 0,
    gsoType: 0,
    hdrLen: 0,
    gsoSize: 0,
    csumStart: 0,
    csumOffset: 0,
    numBuffers: 0,
    hashValue: 0,
    hashReport: 0,
    outerThOffset: 0,
    innerNhOffset: 0,
    outerNhOffset: 0,
  };
}

/** Sets every field of `h` to 0 and returns it. */
export function clearNetHdr(h: NetHdrFields): NetHdrFields {
  h.flags = h.gsoType = h.hdrLen = h.gsoSize = h.csumStart = h.csumOffset = h.numBuffers = 0;
  h.hashValue = h.hashReport = h.outerThOffset = h.innerNhOffset = h.outerNhOffset = 0;
  return h;
}

const F = virtio_net_hdr.fields;

function u16(b: Uint8Array, at: number, length: number): number {
  return at + 2 <= length ? (b[at] as number) | ((b[at + 1] as number) << 8) : 0;
}

function put16(b: Uint8Array, at: number, length: number, v: number): void {
  if (at + 2 > length) return;
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

/**
 * Decodes the first `length` bytes of `bytes` into `out` (reused, so the
 * transmit path does not allocate per frame). Little-endian, as for any
 * non-legacy device (`net.op.legacy.1.device` covers the legacy exception).
 */
export function decodeNetHdr(bytes: Uint8Array, length: number, out: NetHdrFields = emptyNetHdr()): NetHdrFields {
  const n = Math.min(length, bytes.length);
  out.flags = n > F.flags.offset ? (bytes[F.flags.offset] as number) : 0;
  out.gsoType = n > F.gso_type.offset ? (bytes[F.gso_type.offset] as number) : 0;
  out.hdrLen = u16(bytes, F.hdr_len.offset, n);
  out.gsoSize = u16(bytes, F.gso_size.offset, n);
  out.csumStart = u16(bytes, F.csum_start.offset, n);
  out.csumOffset = u16(bytes, F.csum_offset.offset, n);
  out.numBuffers = u16(bytes, F.num_buffers.offset, n);
  const hv = F.hash_value.offset;
  out.hashValue = hv + 4 <= n ? (u16(bytes, hv, n) | (u16(bytes, hv + 2, n) << 16)) >>> 0 : 0;
  out.hashReport = u16(bytes, F.hash_report.offset, n);
  out.outerThOffset = u16(bytes, F.outer_th_offset.offset, n);
  out.innerNhOffset = u16(bytes, F.inner_nh_offset.offset, n);
  out.outerNhOffset = u16(bytes, F.outer_nh_offset.offset, n);
  return out;
}

/**
 * Encodes `fields` into the first `length` bytes of `out`; reserved and
 * padding bytes inside the length are written 0.
 */
export function encodeNetHdr(fields: Readonly<NetHdrFields>, length: number, out: Uint8Array): void {
  out.fill(0, 0, length);
  if (length > F.flags.offset) out[F.flags.offset] = fields.flags & 0xff;
  if (length > F.gso_type.offset) out[F.gso_type.offset] = fields.gsoType & 0xff;
  put16(out, F.hdr_len.offset, length, fields.hdrLen);
  put16(out, F.gso_size.offset, length, fields.gsoSize);
  put16(out, F.csum_start.offset, length, fields.csumStart);
  put16(out, F.csum_offset.offset, length, fields.csumOffset);
  put16(out, F.num_buffers.offset, length, fields.numBuffers);
  const hv = F.hash_value.offset;
  if (hv + 4 <= length) {
    put16(out, hv, length, fields.hashValue & 0xffff);
    put16(out, hv + 2, length, fields.hashValue >>> 16);
  }
  put16(out, F.hash_report.offset, length, fields.hashReport);
  put16(out, F.outer_th_offset.offset, length, fields.outerThOffset);
  put16(out, F.inner_nh_offset.offset, length, fields.innerNhOffset);
  put16(out, F.outer_nh_offset.offset, length, fields.outerNhOffset);
}

/** Offset of `num_buffers` in the header (10). */
export const NUM_BUFFERS_OFFSET = F.num_buffers.offset;
