/**
 * The small net_device_ops: `ndo_get_stats64` = `virtnet_stats`,
 * `ndo_tx_timeout` = `virtnet_tx_timeout`, `ndo_get_phys_port_name` =
 * `virtnet_get_phys_port_name`, `ndo_features_check` =
 * `passthru_features_check` (seed).
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_STANDBY } from '../../../../specs/features/net.js';
import { errno } from '../constants.js';
import type { NetifFeature } from '../features.js';
import { type RtnlLinkStats64, virtnetStats64 } from '../stats.js';
import { klog, type SendQueue, type VirtnetInfo } from '../virtnet-info.js';

/** `virtnet_stats`: sums every queue pair up to `max_queue_pairs`. */
export function virtnetGetStats64(vi: VirtnetInfo): RtnlLinkStats64 {
  return virtnetStats64(
    vi.rq.slice(0, vi.maxQueuePairs).map((r) => r.stats),
    vi.sq.slice(0, vi.maxQueuePairs).map((s) => s.stats),
    vi.dev.stats,
  );
}

/** `virtnet_tx_timeout`: counts tx_timeouts on the queue and logs; nothing is reset. */
export function virtnetTxTimeout(vi: VirtnetInfo, txqueue: number, sinceMs: number): void {
  const sq = vi.sq[txqueue] as SendQueue;
  sq.stats.tx_timeouts++;
  klog(
    vi,
    'err',
    `TX timeout on queue: ${txqueue}, sq: ${sq.vq.name}, vq: 0x${sq.vq.index.toString(16)}, name: ${sq.vq.name}, ${Math.round(sinceMs * 1000)} usecs ago`,
  );
}

/** `virtnet_get_phys_port_name`: "sby" with STANDBY, else -EOPNOTSUPP. */
export function virtnetGetPhysPortName(vi: VirtnetInfo): string | number {
  return hasFeature(vi.vdev.features, VIRTIO_NET_F_STANDBY) ? 'sby' : errno.EOPNOTSUPP;
}

/** `passthru_features_check`: every feature applies to every packet. */
export function passthruFeaturesCheck(features: NetifFeature): NetifFeature {
  return features;
}
