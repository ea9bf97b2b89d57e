/**
 * Traffic steps shared by the data-path checks: send one frame behind a header cut into
 * descriptors, post receive buffers cut into descriptors, and read back the packets the device
 * wrote into used receive buffers.
 *
 * @module
 */

import { cutBytes, cutLengths } from '../header/header-features.js';
import { decodeHdr, type HdrFields } from './header-rules.js';
import type { Collected, NetSession, PlacedBuffer, UsedEntry } from './net-session.js';

/** What one transmission produced. */
export type Transmitted =
  | {
      readonly kind: 'sent';
      /** Frames on the wire since the previous drain. */
      readonly wire: readonly Uint8Array[];
      /** The used transmit buffers collected (normally the one sent). */
      readonly used: Collected;
      /** Descriptor lengths the buffer was cut into. */
      readonly lengths: readonly number[];
    }
  | { readonly kind: 'not-placed' };

/** `header` then `frame` as one byte string. */
export function withHeader(header: Uint8Array, frame: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(header.length + frame.length);
  bytes.set(header, 0);
  bytes.set(frame, header.length);
  return bytes;
}

/**
 * Sends `bytes` (header and frame) on transmitq1 as one buffer cut at `cuts`, kicks, waits for the
 * buffer to come back (bounded) and drains the wire.
 */
export async function transmitCut(session: NetSession, bytes: Uint8Array, cuts: readonly number[]): Promise<Transmitted> {
  await session.drainWire();
  const pieces = cutBytes(bytes, cuts);
  const placed = await session.place(
    session.tx,
    pieces.map((p) => ({ kind: 'out' as const, bytes: p })),
  );
  if (placed === null) return { kind: 'not-placed' };
  await session.kick(session.tx);
  const used = await session.collect(session.tx, 1);
  const wire = await session.drainWire();
  return { kind: 'sent', wire, used, lengths: pieces.map((p) => p.length) };
}

/** Posts one receive buffer of `total` writable bytes cut at `cuts` on receiveq1 (not kicked). */
export function postReceive(session: NetSession, total: number, cuts: readonly number[] = []): Promise<PlacedBuffer | null> {
  return session.place(
    session.rx,
    cutLengths(total, cuts).map((len) => ({ kind: 'in' as const, len })),
  );
}

/** One received packet as a driver of the negotiated features reads it from its used buffers. */
export interface ReceivedPacket {
  /** The header fields from the first buffer. */
  readonly header: HdrFields;
  /** The header bytes. */
  readonly headerBytes: Uint8Array;
  /** The frame: the rest of the first buffer and every further buffer, up to each used len. */
  readonly frame: Uint8Array;
  /** Used entries the packet took. */
  readonly used: readonly UsedEntry[];
}

/**
 * Reads the packet held by `used` (in used order, first buffer first): the header from the first
 * `hdrLength` bytes, then the frame up to each buffer's used len (`split.used.driver.1`: nothing
 * past used len is trusted). Null when the first buffer's used len is shorter than the header.
 */
export async function readPacket(session: NetSession, used: readonly UsedEntry[]): Promise<ReceivedPacket | null> {
  const hdr = session.hdrLength;
  const parts: Uint8Array[] = [];
  for (const u of used) {
    const placed = session.placed(u.token);
    if (placed === undefined) return null;
    parts.push(await session.written(placed, u.len));
  }
  const first = parts[0];
  if (first === undefined || first.length < hdr) return null;
  const total = parts.reduce((n, p) => n + p.length, 0) - hdr;
  const frame = new Uint8Array(total);
  let at = 0;
  frame.set(first.subarray(hdr), at);
  at += first.length - hdr;
  for (const p of parts.slice(1)) {
    frame.set(p, at);
    at += p.length;
  }
  const headerBytes = first.slice(0, hdr);
  return { header: decodeHdr(headerBytes), headerBytes, frame, used };
}
