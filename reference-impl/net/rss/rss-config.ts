/**
 * Parsing and validating MQ_RSS_CONFIG and MQ_HASH_CONFIG payloads
 * (virtio 1.4 5.1.9.5.4 - 5.1.9.5.5; layouts `rssConfigLayout`,
 * `hashConfigLayout` in specs/net/ctrl-payloads.ts). Both are little-endian
 * in every interface (the spec gives them no legacy section).
 *
 * Two kinds of failure, kept apart so the caller can treat them differently:
 * `malformed` when the bytes do not frame the structure (truncated, or
 * trailing bytes in strict mode); `invalid` when the structure is complete
 * but a value breaks a rule. The spec leaves the ack for either unspecified
 * (summary.md, "ack on bad input"); the reference answers ERR and keeps its
 * previous configuration.
 *
 * @module
 */

import { RSS_RQ_ID_RESERVED_BIT } from '../../../specs/net/queues.js';
import { type ParseFailure, type ParseResult, invalid, malformed } from '../ctrl/parse-result.js';

/** A validated RSS configuration; queue numbers are 0-based receive queue pairs. */
export interface RssConfig {
  /** Enabled `VIRTIO_NET_RSS_HASH_TYPE_*` bits. */
  readonly hashTypes: number;
  /** `indirection_table_mask`; the table has mask + 1 entries. */
  readonly indirectionTableMask: number;
  /** Pair (receiveq index - 1) for packets with no hash: `unclassified_queue & 0x7fff`. */
  readonly unclassifiedQueue: number;
  /** Pair of each table entry (`rss_rq_id & 0x7fff`). Do not write into it. */
  readonly indirectionTable: Uint16Array;
  /** `max_tx_vq`: the driver may transmit on transmitq1..max_tx_vq. */
  readonly maxTxVq: number;
  /** `hash_key_data` (`hash_key_length` bytes). */
  readonly key: Uint8Array;
}

/** Hash calculation parameters: from RSS_CONFIG or HASH_CONFIG (`net.hash.device.4`). */
export interface HashConfig {
  /** Enabled `VIRTIO_NET_RSS_HASH_TYPE_*` bits; 0 until configured (`net.ctrl.hashcfg.any.2`). */
  readonly hashTypes: number;
  /** The Toeplitz key. */
  readonly key: Uint8Array;
}

/** Device limits and queue facts a payload is validated against. */
export interface RssLimits {
  /** `rss_max_key_size`. */
  readonly maxKeySize: number;
  /** `rss_max_indirection_table_length`. */
  readonly maxIndirectionTableLength: number;
  /** `supported_hash_types`. */
  readonly supportedHashTypes: number;
  /** N: receive queues receiveq1..N exist. */
  readonly queuePairs: number;
  /** Whether virtqueue `index` is enabled; receive queues named in the table must be. */
  readonly queueEnabled: (virtqueueIndex: number) => boolean;
  /** Reject trailing bytes and a set reserved bit in `rss_rq_id` / non-zero `reserved`. */
  readonly strict: boolean;
}

function le16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function le32(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

function checkHashTypes(hashTypes: number, keyLength: number, limits: RssLimits, clause: string | null): ParseFailure | null {
  const unsupported = hashTypes & ~limits.supportedHashTypes;
  if (unsupported !== 0) {
    return invalid(`hash_types 0x${hashTypes.toString(16)} has unsupported bits 0x${(unsupported >>> 0).toString(16)}`, clause);
  }
  // QEMU refuses this too: hashing with an empty key would steer every flow to table[0].
  if (hashTypes !== 0 && keyLength === 0) return invalid('hash types enabled with an empty key');
  if (keyLength > limits.maxKeySize) return invalid(`hash_key_length ${keyLength} exceeds rss_max_key_size ${limits.maxKeySize}`);
  return null;
}

function checkQueue(rqId: number, what: string, limits: RssLimits, mustBeEnabled: boolean): ParseFailure | null {
  if (limits.strict && (rqId & RSS_RQ_ID_RESERVED_BIT) !== 0) {
    return invalid(`${what} 0x${rqId.toString(16)} has the reserved bit 15 set`);
  }
  const pair = rqId & 0x7fff;
  if (pair >= limits.queuePairs) {
    return invalid(`${what} names receiveq${pair + 1}, but only ${limits.queuePairs} exist`, 'net.ctrl.rss.driver.2');
  }
  if (mustBeEnabled && !limits.queueEnabled(2 * pair)) {
    return invalid(`${what} names receiveq${pair + 1}, which is not enabled`, 'net.ctrl.rss.driver.2');
  }
  return null;
}

/**
 * Parses `struct virtio_net_rss_config`. Rejected: a table length that is not
 * a power of two (`net.ctrl.rss.driver.3`) or not below
 * `rss_max_indirection_table_length` (`net.ctrl.rss.driver.4`); unsupported
 * hash types (`net.ctrl.rss.driver.5`); a table entry or unclassified_queue
 * naming a receive queue that does not exist or is not enabled
 * (`net.ctrl.rss.driver.2`; the spec only says so for the table, the
 * reference applies it to unclassified_queue too since packets go there);
 * `max_tx_vq` outside 1..N; a key longer than `rss_max_key_size`; hash types
 * with an empty key.
 */
export function parseRssConfig(payload: Uint8Array, limits: RssLimits): ParseResult<RssConfig> {
  if (payload.length < 8) return malformed(`RSS_CONFIG needs at least 8 bytes, got ${payload.length}`);
  const hashTypes = le32(payload, 0);
  const mask = le16(payload, 4);
  const unclassifiedRaw = le16(payload, 6);
  const n = mask + 1;
  if ((n & mask) !== 0) return invalid(`indirection_table_mask ${mask}: mask + 1 is not a power of two`, 'net.ctrl.rss.driver.3');
  if (mask >= limits.maxIndirectionTableLength) {
    return invalid(`indirection_table_mask ${mask} is not below rss_max_indirection_table_length ${limits.maxIndirectionTableLength}`, 'net.ctrl.rss.driver.4');
  }
  const trailer = 8 + 2 * n;
  if (payload.length < trailer + 3) return malformed(`RSS_CONFIG with ${n} table entries needs ${trailer + 3}+ bytes, got ${payload.length}`);
  const maxTxVq = le16(payload, trailer);
  const keyLength = payload[trailer + 2] as number;
  const total = trailer + 3 + keyLength;
  if (payload.length < total) return malformed(`RSS_CONFIG with a ${keyLength}-byte key needs ${total} bytes, got ${payload.length}`);
  if (limits.strict && payload.length > total) return malformed(`RSS_CONFIG is ${total} bytes, got ${payload.length - total} trailing`);
  const typesError = checkHashTypes(hashTypes, keyLength, limits, 'net.ctrl.rss.driver.5');
  if (typesError !== null) return typesError;
  const unclassifiedError = checkQueue(unclassifiedRaw, 'unclassified_queue', limits, true);
  if (unclassifiedError !== null) return unclassifiedError;
  const table = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const raw = le16(payload, 8 + 2 * i);
    const error = checkQueue(raw, `indirection_table[${i}]`, limits, true);
    if (error !== null) return error;
    table[i] = raw & 0x7fff;
  }
  if (maxTxVq < 1 || maxTxVq > limits.queuePairs) return invalid(`max_tx_vq ${maxTxVq} is outside 1..${limits.queuePairs}`);
  return {
    kind: 'parsed',
    value: Object.freeze({
      hashTypes,
      indirectionTableMask: mask,
      unclassifiedQueue: unclassifiedRaw & 0x7fff,
      indirectionTable: table,
      maxTxVq,
      key: payload.slice(trailer + 3, total),
    }),
  };
}

/**
 * Parses `struct virtio_net_hash_config`. Rejected: non-zero `reserved` in
 * strict mode (`net.ctrl.hashcfg.driver.1`), unsupported hash types, a key
 * longer than `rss_max_key_size`, hash types with an empty key.
 */
export function parseHashConfig(payload: Uint8Array, limits: RssLimits): ParseResult<HashConfig> {
  if (payload.length < 13) return malformed(`HASH_CONFIG needs at least 13 bytes, got ${payload.length}`);
  const hashTypes = le32(payload, 0);
  const keyLength = payload[12] as number;
  const total = 13 + keyLength;
  if (payload.length < total) return malformed(`HASH_CONFIG with a ${keyLength}-byte key needs ${total} bytes, got ${payload.length}`);
  if (limits.strict && payload.length > total) return malformed(`HASH_CONFIG is ${total} bytes, got ${payload.length - total} trailing`);
  if (limits.strict && payload.subarray(4, 12).some((b) => b !== 0)) return invalid('reserved is not zero', 'net.ctrl.hashcfg.driver.1');
  const typesError = checkHashTypes(hashTypes, keyLength, limits, null);
  if (typesError !== null) return typesError;
  return { kind: 'parsed', value: Object.freeze({ hashTypes, key: payload.slice(13, total) }) };
}

/** Pairs an RSS configuration may steer to or transmit on: max(max_tx_vq, highest queue named + 1). */
export function rssActivePairs(config: RssConfig): number {
  let pairs = Math.max(config.maxTxVq, config.unclassifiedQueue + 1);
  for (const q of config.indirectionTable) if (q + 1 > pairs) pairs = q + 1;
  return pairs;
}
