/**
 * Decoding one control command: class, command and payload bytes to a typed
 * command, or the reason the device refuses it (virtio 1.4 5.1.9.5,
 * `net.ctrl.any.1`). Pure: the result depends only on the bytes and the
 * {@link CtrlDecodeContext}; `NetControlState` (state.ts) applies the command.
 *
 * Refusals, each answered with VIRTIO_NET_ERR by default:
 * - `unknown-command`: a (class, command) pair no revision defines; QEMU
 *   answers ERR too (qemu-qtest.md §4).
 * - `not-negotiated`: the command's gate (CTRL_COMMANDS in
 *   specs/net/ctrl.ts) is not negotiated. The driver broke the gate's clause
 *   (e.g. `net.ctrl.rx.driver.1`); the ack is unspecified, ERR is the
 *   natural answer. MAC_ADDR_SET is gated by CTRL_MAC_ADDR (summary.md
 *   defect 7, decided in specs/net/ctrl.ts).
 * - `malformed`: the payload is shorter than the structure, or, when
 *   `strict`, longer, or an on/off byte other than 0 / 1. QEMU reads only
 *   the first byte of PROMISC and friends; set `strict: false` to match.
 * - `invalid`: a value out of range: VQ_PAIRS_SET outside
 *   1..max_virtqueue_pairs (`net.ctrl.mq.driver.2`), a VLAN id above 4095,
 *   an offload whose feature was not negotiated
 *   (`net.ctrl.offloads.driver.1`), an RSS / hash config rule
 *   ({@link parseRssConfig}), VQ_SET / VQ_GET on a queue that is not an
 *   enabled data queue (ERR mandated, `net.ctrl.coal.device.4`), VQ_GET
 *   without room for its 8-byte result, HASH_TUNNEL_SET with unsupported
 *   bits (`net.ctrl.hashtun.device.2`).
 * - `unsupported`: the 1.4 STATS and RSS_CTX classes, which this reference
 *   device does not implement (it must not offer DEVICE_STATS or
 *   RSS_CONTEXT).
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { describeRequirement, satisfies } from '../../../specs/features/requirement.js';
import { type CtrlCommandInfo, ctrlCommand } from '../../../specs/net/ctrl.js';
import { offloadsMask } from '../../../specs/net/offloads.js';
import type { CoalescingParams } from './coalescing.js';
import { type MacTables, parseMacTableSet } from './mac-table.js';
import { type HashConfig, type RssConfig, type RssLimits, parseHashConfig, parseRssConfig } from '../rss/rss-config.js';
import type { ParseFailure } from './parse-result.js';

/** The six receive modes of class VIRTIO_NET_CTRL_RX, by command number. */
export const RX_MODES = Object.freeze(['promisc', 'allmulti', 'alluni', 'nomulti', 'nouni', 'nobcast'] as const);
/** One receive mode. */
export type RxModeName = (typeof RX_MODES)[number];

/** A decoded, validated command. Queue numbers are virtqueue indexes; pairs are counts. */
export type CtrlCommand =
  | { readonly kind: 'rx-mode'; readonly mode: RxModeName; readonly on: boolean }
  | { readonly kind: 'mac-table-set'; readonly tables: MacTables }
  | { readonly kind: 'mac-addr-set'; readonly mac: Uint8Array }
  | { readonly kind: 'vlan-add' | 'vlan-del'; readonly vid: number }
  | { readonly kind: 'announce-ack' }
  | { readonly kind: 'vq-pairs-set'; readonly pairs: number }
  | { readonly kind: 'rss-config'; readonly config: RssConfig }
  | { readonly kind: 'hash-config'; readonly config: HashConfig }
  | { readonly kind: 'guest-offloads-set'; readonly offloads: bigint }
  | { readonly kind: 'coal-tx-set' | 'coal-rx-set'; readonly params: CoalescingParams }
  | { readonly kind: 'coal-vq-set'; readonly queue: number; readonly params: CoalescingParams }
  | { readonly kind: 'coal-vq-get'; readonly queue: number }
  | { readonly kind: 'hash-tunnel-set'; readonly tunnelTypes: number };

/** Why a command is refused. */
export type CtrlRefusalCause = 'unknown-command' | 'not-negotiated' | 'malformed' | 'invalid' | 'unsupported';

/** Outcome of {@link decodeCtrlCommand}. */
export type CtrlDecodeResult =
  | { readonly kind: 'command'; readonly command: CtrlCommand; readonly info: CtrlCommandInfo }
  | { readonly kind: 'refused'; readonly cause: CtrlRefusalCause; readonly reason: string; readonly clause: string | null };

/** Everything decoding depends on besides the bytes. */
export interface CtrlDecodeContext extends RssLimits {
  /** The negotiated features. */
  readonly features: FeatureSet;
  /**
   * Byte order of the guest-native fields (MAC table counts, VLAN id,
   * virtqueue_pairs, offloads): little-endian unless the legacy interface
   * runs on a big-endian guest (`net.ctrl.mac.legacy.1.device`,
   * `net.ctrl.vlan.legacy.1.device`, `net.ctrl.mq.legacy.1.device`,
   * `net.ctrl.offloads.legacy.1.device`).
   */
  readonly littleEndian: boolean;
  /** `supported_tunnel_types` the device offers. */
  readonly supportedTunnelTypes: number;
}

type Decoded = { readonly kind: 'ok'; readonly command: CtrlCommand } | ParseFailure;

function refused(cause: CtrlRefusalCause, reason: string, clause: string | null): CtrlDecodeResult {
  return { kind: 'refused', cause, reason, clause };
}

function ok(command: CtrlCommand): Decoded {
  return { kind: 'ok', command };
}

function sizeError(payload: Uint8Array, size: number, name: string, strict: boolean): ParseFailure | null {
  if (payload.length < size) return { kind: 'malformed', reason: `${name} needs ${size} bytes of data, got ${payload.length}` };
  if (strict && payload.length > size) return { kind: 'malformed', reason: `${name} takes ${size} bytes of data, got ${payload.length}` };
  return null;
}

function u16(b: Uint8Array, at: number, le: boolean): number {
  return le ? (b[at] as number) | ((b[at + 1] as number) << 8) : ((b[at] as number) << 8) | (b[at + 1] as number);
}

function u32le(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function coalParams(b: Uint8Array, at: number): CoalescingParams {
  return { maxPackets: u32le(b, at), maxUsecs: u32le(b, at + 4) };
}

function dataQueueError(queue: number, ctx: CtrlDecodeContext): ParseFailure | null {
  if (queue >= 2 * ctx.queuePairs) {
    const what = queue === 2 * ctx.queuePairs ? 'the controlq' : 'no such queue';
    return { kind: 'invalid', reason: `vq_index ${queue} is ${what}, not a data queue`, clause: 'net.ctrl.coal.device.4' };
  }
  if (!ctx.queueEnabled(queue)) return { kind: 'invalid', reason: `vq_index ${queue} is not enabled`, clause: 'net.ctrl.coal.device.4' };
  return null;
}

function decodeKnown(info: CtrlCommandInfo, payload: Uint8Array, ctx: CtrlDecodeContext, resultRoom: number): Decoded {
  const { strict, littleEndian: le } = ctx;
  const name = info.name;
  switch (`${info.class}/${info.command}`) {
    case '0/0': case '0/1': case '0/2': case '0/3': case '0/4': case '0/5': {
      const e = sizeError(payload, 1, name, strict);
      if (e !== null) return e;
      const value = payload[0] as number;
      if (strict && value > 1) return { kind: 'malformed', reason: `${name} data is 0 or 1, got ${value}` };
      return ok({ kind: 'rx-mode', mode: RX_MODES[info.command] as RxModeName, on: value !== 0 });
    }
    case '1/0': {
      const r = parseMacTableSet(payload, le, strict);
      return r.kind === 'parsed' ? ok({ kind: 'mac-table-set', tables: r.value }) : r;
    }
    case '1/1':
      return sizeError(payload, 6, name, strict) ?? ok({ kind: 'mac-addr-set', mac: payload.slice(0, 6) });
    case '2/0': case '2/1': {
      const e = sizeError(payload, 2, name, strict);
      if (e !== null) return e;
      const vid = u16(payload, 0, le);
      if (vid > 4095) return { kind: 'invalid', reason: `VLAN id ${vid} is above 4095`, clause: null };
      return ok({ kind: info.command === 0 ? 'vlan-add' : 'vlan-del', vid });
    }
    case '3/0':
      return sizeError(payload, 0, name, strict) ?? ok({ kind: 'announce-ack' });
    case '4/0': {
      const e = sizeError(payload, 2, name, strict);
      if (e !== null) return e;
      const pairs = u16(payload, 0, le);
      const max = Math.min(ctx.queuePairs, 0x8000);
      if (pairs < 1 || pairs > max) return { kind: 'invalid', reason: `virtqueue_pairs ${pairs} is outside 1..${max}`, clause: 'net.ctrl.mq.driver.2' };
      return ok({ kind: 'vq-pairs-set', pairs });
    }
    case '4/1': {
      const r = parseRssConfig(payload, ctx);
      return r.kind === 'parsed' ? ok({ kind: 'rss-config', config: r.value }) : r;
    }
    case '4/2': {
      const r = parseHashConfig(payload, ctx);
      return r.kind === 'parsed' ? ok({ kind: 'hash-config', config: r.value }) : r;
    }
    case '5/0': {
      const e = sizeError(payload, 8, name, strict);
      if (e !== null) return e;
      const offloads = new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0, le);
      const extra = offloads & ~offloadsMask(ctx.features);
      if (extra !== 0n) {
        return { kind: 'invalid', reason: `offloads 0x${offloads.toString(16)} enable unnegotiated bits 0x${extra.toString(16)}`, clause: 'net.ctrl.offloads.driver.1' };
      }
      return ok({ kind: 'guest-offloads-set', offloads });
    }
    case '6/0': case '6/1':
      return sizeError(payload, 8, name, strict) ?? ok({ kind: info.command === 0 ? 'coal-tx-set' : 'coal-rx-set', params: coalParams(payload, 0) });
    case '6/2': {
      // reserved (bytes 2..3) is ignored, `net.ctrl.coal.device.1`.
      const e = sizeError(payload, 12, name, strict);
      if (e !== null) return e;
      const queue = u16(payload, 0, true);
      return dataQueueError(queue, ctx) ?? ok({ kind: 'coal-vq-set', queue, params: coalParams(payload, 4) });
    }
    case '6/3': {
      const e = sizeError(payload, 4, name, strict);
      if (e !== null) return e;
      const queue = u16(payload, 0, true);
      const qe = dataQueueError(queue, ctx);
      if (qe !== null) return qe;
      if (resultRoom < 8) return { kind: 'invalid', reason: `VQ_GET needs 8 bytes of result room, got ${resultRoom}`, clause: null };
      return ok({ kind: 'coal-vq-get', queue });
    }
    case '7/0': {
      const e = sizeError(payload, 4, name, strict);
      if (e !== null) return e;
      const tunnelTypes = u32le(payload, 0);
      const extra = (tunnelTypes & ~ctx.supportedTunnelTypes) >>> 0;
      if (extra !== 0) return { kind: 'invalid', reason: `enabled_tunnel_types has unsupported bits 0x${extra.toString(16)}`, clause: 'net.ctrl.hashtun.device.2' };
      return ok({ kind: 'hash-tunnel-set', tunnelTypes });
    }
    default:
      return { kind: 'invalid', reason: `${name} is not implemented by the reference device`, clause: null };
  }
}

/**
 * Decodes the command (`klass`, `command`) with data `payload`, for a
 * driver-supplied result buffer of `resultRoom` bytes.
 */
export function decodeCtrlCommand(
  klass: number,
  command: number,
  payload: Uint8Array,
  ctx: CtrlDecodeContext,
  resultRoom: number,
): CtrlDecodeResult {
  const info = ctrlCommand(klass, command);
  if (info === undefined) {
    const known = ctrlCommand(klass, 0);
    const reason = known === undefined ? `unknown class ${klass}` : `unknown command ${command} of ${known.className}`;
    return refused('unknown-command', reason, null);
  }
  if (!satisfies(ctx.features, info.gate)) {
    return refused('not-negotiated', `${info.name} needs ${describeRequirement(info.gate)}`, info.gateClause);
  }
  if (info.class === 8 || info.class === 9) {
    return refused('unsupported', `${info.name} (${info.since}) is not implemented by the reference device`, null);
  }
  const d = decodeKnown(info, payload, ctx, resultRoom);
  if (d.kind === 'ok') return { kind: 'command', command: d.command, info };
  return d.kind === 'malformed' ? refused('malformed', d.reason, null) : refused('invalid', d.reason, d.clause);
}
