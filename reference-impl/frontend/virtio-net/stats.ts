/**
 * Statistics of the front end, as Linux 6.1 keeps them: per receive queue
 * (`virtnet_rq_stats`), per send queue (`virtnet_sq_stats`), the netdev
 * error counters (`dev->stats`), their sum in `rtnl_link_stats64`
 * (`virtnet_stats`), and the ethtool string and value lists
 * (`virtnet_get_strings`, `virtnet_get_ethtool_stats`).
 *
 * @module
 */

/** `struct virtnet_rq_stats`, in the order of `virtnet_rq_stats_desc`. */
export interface RqStats {
  packets: number;
  bytes: number;
  drops: number;
  xdp_packets: number;
  xdp_tx: number;
  xdp_redirects: number;
  xdp_drops: number;
  kicks: number;
}

/** `struct virtnet_sq_stats`, in the order of `virtnet_sq_stats_desc`. */
export interface SqStats {
  packets: number;
  bytes: number;
  xdp_tx: number;
  xdp_tx_drops: number;
  kicks: number;
  tx_timeouts: number;
}

/** The `dev->stats` counters virtio-net touches. */
export interface NetdevErrorStats {
  tx_dropped: number;
  tx_fifo_errors: number;
  rx_length_errors: number;
  rx_frame_errors: number;
}

/** The part of `struct rtnl_link_stats64` virtio-net fills. */
export interface RtnlLinkStats64 {
  readonly rx_packets: number;
  readonly tx_packets: number;
  readonly rx_bytes: number;
  readonly tx_bytes: number;
  readonly rx_dropped: number;
  readonly tx_errors: number;
  readonly tx_dropped: number;
  readonly tx_fifo_errors: number;
  readonly rx_length_errors: number;
  readonly rx_frame_errors: number;
}

/** ethtool names of the receive-queue counters. */
export const VIRTNET_RQ_STATS_DESC: readonly (keyof RqStats)[] = Object.freeze([
  'packets',
  'bytes',
  'drops',
  'xdp_packets',
  'xdp_tx',
  'xdp_redirects',
  'xdp_drops',
  'kicks',
]);

/** ethtool names of the send-queue counters. */
export const VIRTNET_SQ_STATS_DESC: readonly (keyof SqStats)[] = Object.freeze([
  'packets',
  'bytes',
  'xdp_tx',
  'xdp_tx_drops',
  'kicks',
  'tx_timeouts',
]);

/** Zeroed receive-queue counters. */
export function newRqStats(): RqStats {
  return { packets: 0, bytes: 0, drops: 0, xdp_packets: 0, xdp_tx: 0, xdp_redirects: 0, xdp_drops: 0, kicks: 0 };
}

/** Zeroed send-queue counters. */
export function newSqStats(): SqStats {
  return { packets: 0, bytes: 0, xdp_tx: 0, xdp_tx_drops: 0, kicks: 0, tx_timeouts: 0 };
}

/** Zeroed netdev error counters. */
export function newNetdevErrorStats(): NetdevErrorStats {
  return { tx_dropped: 0, tx_fifo_errors: 0, rx_length_errors: 0, rx_frame_errors: 0 };
}

/** Adds every counter of `from` into `into` (the per-poll batch flush of virtnet_receive). */
export function addRqStats(into: RqStats, from: RqStats): void {
  for (const k of VIRTNET_RQ_STATS_DESC) into[k] += from[k];
}

/**
 * `virtnet_stats` (ndo_get_stats64): sums every queue pair up to
 * `max_queue_pairs`, tx errors being the TX time-outs, and copies the
 * netdev error counters.
 */
export function virtnetStats64(rq: readonly RqStats[], sq: readonly SqStats[], dev: NetdevErrorStats): RtnlLinkStats64 {
  let rxPackets = 0;
  let txPackets = 0;
  let rxBytes = 0;
  let txBytes = 0;
  let rxDropped = 0;
  let txErrors = 0;
  for (let i = 0; i < rq.length; i++) {
    const r = rq[i] as RqStats;
    rxPackets += r.packets;
    rxBytes += r.bytes;
    rxDropped += r.drops;
  }
  for (let i = 0; i < sq.length; i++) {
    const s = sq[i] as SqStats;
    txPackets += s.packets;
    txBytes += s.bytes;
    txErrors += s.tx_timeouts;
  }
  return {
    rx_packets: rxPackets,
    tx_packets: txPackets,
    rx_bytes: rxBytes,
    tx_bytes: txBytes,
    rx_dropped: rxDropped,
    tx_errors: txErrors,
    tx_dropped: dev.tx_dropped,
    tx_fifo_errors: dev.tx_fifo_errors,
    rx_length_errors: dev.rx_length_errors,
    rx_frame_errors: dev.rx_frame_errors,
  };
}

/**
 * `virtnet_get_strings(ETH_SS_STATS)`: `rx_queue_<i>_<name>` for every
 * active receive queue, then `tx_queue_<i>_<name>` for every active send
 * queue (`curr_queue_pairs` of each).
 */
export function virtnetStatStrings(currQueuePairs: number): readonly string[] {
  const out: string[] = [];
  for (let i = 0; i < currQueuePairs; i++) for (const n of VIRTNET_RQ_STATS_DESC) out.push(`rx_queue_${i}_${n}`);
  for (let i = 0; i < currQueuePairs; i++) for (const n of VIRTNET_SQ_STATS_DESC) out.push(`tx_queue_${i}_${n}`);
  return out;
}

/** `virtnet_get_ethtool_stats`: the values in the order of {@link virtnetStatStrings}. */
export function virtnetEthtoolStats(currQueuePairs: number, rq: readonly RqStats[], sq: readonly SqStats[]): readonly number[] {
  const out: number[] = [];
  for (let i = 0; i < currQueuePairs; i++) for (const n of VIRTNET_RQ_STATS_DESC) out.push((rq[i] as RqStats)[n]);
  for (let i = 0; i < currQueuePairs; i++) for (const n of VIRTNET_SQ_STATS_DESC) out.push((sq[i] as SqStats)[n]);
  return out;
}
