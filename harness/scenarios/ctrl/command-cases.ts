/**
 * Arbitrary control commands for the "every command is answered" and "used len" checks: every
 * (class, command) pair of every revision with a payload of its structure's size (values free,
 * so out-of-range ones are included), undefined pairs, and known commands with mis-sized
 * payloads. Each case says which of the three it is, because the spec lets a device treat a
 * malformed command as an error state (DEVICE_NEEDS_RESET) rather than answer it.
 *
 * @module
 */

import fc from 'fast-check';
import { CTRL_COMMANDS, type CtrlCommandInfo, ctrlCommand } from '../../../specs/net/ctrl.js';
import { concatBytes, le16, le32 } from './commands.js';
import type { CtrlRequest } from './ctrl-session.js';

/** What kind of command a case is. */
export type CommandShape =
  /** A defined command whose payload has its structure's size (values may be out of range). */
  | 'framed'
  /** A (class, command) pair no revision defines. */
  | 'undefined'
  /** A defined command whose payload does not frame its structure. */
  | 'malformed';

/** One generated command. */
export interface CommandCase {
  readonly shape: CommandShape;
  readonly name: string;
  readonly request: CtrlRequest;
}

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

/** Result room a command's structure defines (0 for ack only). */
export function resultRoomOf(info: CtrlCommandInfo): number {
  return typeof info.resultSize === 'number' ? info.resultSize : 0;
}

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });

/** A MAC_TABLE_SET payload whose counts match its entries, in Linux's two descriptors. */
const macTableData: fc.Arbitrary<Uint8Array[]> = fc
  .tuple(fc.array(mac, { maxLength: 4 }), fc.array(mac, { maxLength: 4 }))
  .map(([uc, mc]) => [concatBytes(le32(uc.length), ...uc), concatBytes(le32(mc.length), ...mc)]);

/** An RSS_CONFIG payload with a power-of-two table, in Linux's four descriptors. */
const rssData: fc.Arbitrary<Uint8Array[]> = fc
  .record({
    hashTypes: fc.nat(0x1ff),
    log2: fc.integer({ min: 0, max: 3 }),
    entries: fc.array(fc.nat(7), { minLength: 8, maxLength: 8 }),
    unclassified: fc.nat(7),
    maxTxVq: fc.integer({ min: 0, max: 8 }),
    key: bytes(0, 40),
  })
  .map((r) => {
    const table = r.entries.slice(0, 1 << r.log2);
    return [
      concatBytes(le32(r.hashTypes), le16(table.length - 1), le16(r.unclassified)),
      concatBytes(...table.map(le16)),
      concatBytes(le16(r.maxTxVq), Uint8Array.of(r.key.length)),
      r.key,
    ];
  });

/** A HASH_CONFIG payload. */
const hashData: fc.Arbitrary<Uint8Array[]> = fc
  .tuple(fc.nat(0x1ff), bytes(0, 40))
  .map(([types, key]) => [concatBytes(le32(types), new Uint8Array(8), Uint8Array.of(key.length)), key]);

/** Framed payload entries for one defined command. */
function framedData(info: CtrlCommandInfo): fc.Arbitrary<Uint8Array[]> {
  if (typeof info.dataSize === 'number') {
    const size = info.dataSize;
    if (size === 0) return fc.constant([]);
    // On/off bytes are mostly 0 or 1, sometimes anything; other payloads are free.
    if (info.class === 0) return fc.oneof(fc.constantFrom(0, 1), fc.nat(255)).map((v) => [Uint8Array.of(v)]);
    return bytes(size, size).map((b) => [b]);
  }
  switch (info.name) {
    case 'VIRTIO_NET_CTRL_MAC_TABLE_SET':
      return macTableData;
    case 'VIRTIO_NET_CTRL_MQ_RSS_CONFIG':
      return rssData;
    case 'VIRTIO_NET_CTRL_MQ_HASH_CONFIG':
      return hashData;
    default:
      // STATS_GET and RSS_CTX ADD/MOD: one 16-byte-aligned record of free bytes.
      return bytes(16, 16).map((b) => [b]);
  }
}

/** Mis-sized payload entries for one defined command. */
function malformedData(info: CtrlCommandInfo): fc.Arbitrary<Uint8Array[]> | null {
  if (typeof info.dataSize === 'number') {
    const size = info.dataSize;
    const short = size > 0 ? bytes(0, size - 1) : null;
    const long = bytes(size + 1, size + 4);
    return (short === null ? long : fc.oneof(short, long)).map((b) => [b]);
  }
  if (info.name === 'VIRTIO_NET_CTRL_MAC_TABLE_SET') {
    // A count larger than the entries present (the shape of bug D1).
    return fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.array(mac, { maxLength: 2 })).map(([extra, uc]) => [concatBytes(le32(uc.length + extra), ...uc)]);
  }
  return null;
}

const DEFINED = CTRL_COMMANDS;

/** A defined command with a framed payload. */
export const framedCase: fc.Arbitrary<CommandCase> = fc
  .constantFrom(...DEFINED)
  .chain((info) => framedData(info).map((data): CommandCase => ({ shape: 'framed', name: info.name, request: { klass: info.class, command: info.command, data, resultRoom: resultRoomOf(info) } })));

/** A (class, command) pair no revision defines. */
export const undefinedCase: fc.Arbitrary<CommandCase> = fc
  .tuple(fc.oneof(fc.nat(9), fc.nat(255)), fc.oneof(fc.nat(7), fc.nat(255)), bytes(0, 12))
  .filter(([k, c]) => ctrlCommand(k, c) === undefined)
  .map(([k, c, d]): CommandCase => ({ shape: 'undefined', name: `class ${k} command ${c}`, request: { klass: k, command: c, data: [d] } }));

/** A defined command with a payload that does not frame its structure. */
export const malformedCase: fc.Arbitrary<CommandCase> = fc
  .constantFrom(...DEFINED.filter((info) => malformedData(info) !== null))
  .chain((info) =>
    (malformedData(info) as fc.Arbitrary<Uint8Array[]>).map(
      (data): CommandCase => ({ shape: 'malformed', name: `${info.name} (mis-sized)`, request: { klass: info.class, command: info.command, data, resultRoom: resultRoomOf(info) } }),
    ),
  );

/** Any command, framed ones most often. */
export const commandCase: fc.Arbitrary<CommandCase> = fc.oneof({ arbitrary: framedCase, weight: 4 }, { arbitrary: undefinedCase, weight: 1 }, { arbitrary: malformedCase, weight: 1 });
