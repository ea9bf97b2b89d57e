/**
 * Receive steering: which queue pair gets a frame, and the hash to report
 * with it.
 *
 * - RSS (`net.ctrl.rss.device.1`): hash with the configured types and key;
 *   no hash goes to `unclassified_queue`, otherwise to
 *   `indirection_table[hash & indirection_table_mask]`.
 * - Automatic steering after VQ_PAIRS_SET (`net.ctrl.mq.device.0c`):
 *   receive a flow where it was last transmitted (`net.ctrl.mq.device.0d`,
 *   {@link FlowSteering.noteTransmit}); a flow never transmitted goes to
 *   `flowHash % pairs`, a deterministic choice among those the spec allows
 *   (`net.ctrl.mq.device.0e`); a frame that is not IP goes to pair 0.
 *
 * @module
 */

import {
  VIRTIO_NET_HASH_REPORT_NONE,
  VIRTIO_NET_RSS_HASH_TYPE_IPv4,
  VIRTIO_NET_RSS_HASH_TYPE_IPv6,
  VIRTIO_NET_RSS_HASH_TYPE_TCPv4,
  VIRTIO_NET_RSS_HASH_TYPE_TCPv6,
  VIRTIO_NET_RSS_HASH_TYPE_UDPv4,
  VIRTIO_NET_RSS_HASH_TYPE_UDPv6,
} from '../../../specs/net/hash.js';
import { HASH_INPUT_MAX, hashInputLength, selectHashInput } from './hash-input.js';
import type { RssConfig } from './rss-config.js';
import { toeplitzHash } from './toeplitz.js';

/** A computed hash: the value and its `VIRTIO_NET_HASH_REPORT_*` type (never NONE). */
export interface HashResult {
  /** `hash_value`. */
  readonly value: number;
  /** `hash_report`. */
  readonly report: number;
}

/** Where a frame goes: a 0-based queue pair (receiveq `queuePair + 1`), and the hash if one was computed. */
export interface SteeringDecision {
  /** 0-based pair; always below the active pair count. */
  readonly queuePair: number;
  /** Present when the configured hash types gave a hash (`net.hash.device.6`). */
  readonly hash?: HashResult;
}

// One scratch buffer for every hash: steering runs on one thread, one frame at a time.
const scratch = new Uint8Array(HASH_INPUT_MAX);

/** The hash of `frame` under `hashTypes` and `key`, or `null` when no enabled type applies. */
export function computeHash(frame: Uint8Array, hashTypes: number, key: Uint8Array): HashResult | null {
  const report = selectHashInput(frame, hashTypes, scratch);
  if (report === VIRTIO_NET_HASH_REPORT_NONE) return null;
  return { value: toeplitzHash(key, scratch, hashInputLength(report)), report };
}

/** RSS steering of `frame` under `config` (`net.ctrl.rss.device.1`). */
export function rssSteer(config: RssConfig, frame: Uint8Array): SteeringDecision {
  const hash = computeHash(frame, config.hashTypes, config.key);
  if (hash === null) return { queuePair: config.unclassifiedQueue };
  const queuePair = config.indirectionTable[(hash.value & config.indirectionTableMask) >>> 0] as number;
  return { queuePair, hash };
}

/**
 * A key whose 16-bit period makes the Toeplitz hash symmetric: swapping
 * source and destination (addresses and ports) gives the same value, so a
 * transmitted frame and its reply share a flow hash.
 */
export const SYMMETRIC_FLOW_KEY: Uint8Array = Uint8Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0x6d : 0x5a));

const FLOW_TYPES =
  VIRTIO_NET_RSS_HASH_TYPE_IPv4 |
  VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
  VIRTIO_NET_RSS_HASH_TYPE_UDPv4 |
  VIRTIO_NET_RSS_HASH_TYPE_IPv6 |
  VIRTIO_NET_RSS_HASH_TYPE_TCPv6 |
  VIRTIO_NET_RSS_HASH_TYPE_UDPv6;

/** Direction-independent flow hash of an IP frame (addresses and TCP/UDP ports), or -1 when not IP. */
export function flowHash(frame: Uint8Array): number {
  const report = selectHashInput(frame, FLOW_TYPES, scratch);
  if (report === VIRTIO_NET_HASH_REPORT_NONE) return -1;
  return toeplitzHash(SYMMETRIC_FLOW_KEY, scratch, hashInputLength(report));
}

/**
 * Automatic receive steering (`net.ctrl.mq.device.0c` - `0e`): remembers the
 * transmit pair of recent flows, by flow hash, and answers with it for the
 * flow's incoming frames. Bounded: past `capacity` flows it forgets all of
 * them and starts over (steering is a SHOULD; forgetting is allowed).
 */
export class FlowSteering {
  readonly #pairs = new Map<number, number>();
  readonly #capacity: number;

  /** @param capacity flows remembered before the table is cleared. */
  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  /** Number of flows remembered. */
  get size(): number {
    return this.#pairs.size;
  }

  /** The driver transmitted `frame` on transmitq `pair + 1`. */
  noteTransmit(frame: Uint8Array, pair: number): void {
    const h = flowHash(frame);
    if (h < 0) return;
    if (this.#pairs.size >= this.#capacity && !this.#pairs.has(h)) this.#pairs.clear();
    this.#pairs.set(h, pair);
  }

  /** The pair for incoming `frame` among `activePairs` pairs. */
  pick(frame: Uint8Array, activePairs: number): number {
    if (activePairs <= 1) return 0;
    const h = flowHash(frame);
    if (h < 0) return 0;
    const remembered = this.#pairs.get(h);
    if (remembered !== undefined && remembered < activePairs) return remembered;
    return h % activePairs;
  }

  /** Forget every flow (reset, or the pair count changed). */
  clear(): void {
    this.#pairs.clear();
  }
}
