/**
 * `ethtool -l/-L` (`virtnet_get_channels` / `virtnet_set_channels`) and
 * `ethtool -c/-C` (`virtnet_get_coalesce` / `virtnet_set_coalesce`,
 * virtio_net.c:2848-2880) of Linux 6.1.
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_NOTF_COAL } from '../../../../specs/features/net.js';
import { errno, NAPI_POLL_WEIGHT } from '../constants.js';
import { ctrlOk } from '../control-queue.js';
import { virtnetCoalCommand, virtnetSetQueues } from '../ctrl-commands.js';
import { scheduleRefill } from '../poll.js';
import type { VirtnetInfo } from '../virtnet-info.js';

/** `struct ethtool_channels` as virtio-net uses it. */
export interface EthtoolChannels {
  readonly combinedCount: number;
  readonly maxCombined?: number;
  readonly rxCount?: number;
  readonly txCount?: number;
  readonly otherCount?: number;
  readonly maxOther?: number;
}

/** `virtnet_get_channels`: combined = curr_queue_pairs, max = max_queue_pairs. */
export function virtnetGetChannels(vi: VirtnetInfo): EthtoolChannels {
  return { combinedCount: vi.currQueuePairs, maxCombined: vi.maxQueuePairs, rxCount: 0, txCount: 0, otherCount: 0, maxOther: 0 };
}

/**
 * `virtnet_set_channels`: only combined channels, 1..max_queue_pairs, not
 * while XDP is attached; VQ_PAIRS_SET (with MQ) then the real queue counts.
 * 0 or -EINVAL.
 */
export async function virtnetSetChannels(vi: VirtnetInfo, ch: EthtoolChannels): Promise<number> {
  if ((ch.rxCount ?? 0) !== 0 || (ch.txCount ?? 0) !== 0 || (ch.otherCount ?? 0) !== 0) return errno.EINVAL;
  const pairs = ch.combinedCount;
  if (pairs > vi.maxQueuePairs || pairs === 0) return errno.EINVAL;
  if (vi.rq[0]?.xdpProg != null) return errno.EINVAL;
  const err = await virtnetSetQueues(vi, pairs, () => scheduleRefill(vi));
  if (err !== 0) return err;
  vi.dev.realNumTxQueues = pairs;
  vi.dev.realNumRxQueues = pairs;
  return 0;
}

/** `struct ethtool_coalesce`: the four fields virtio-net supports. */
export interface EthtoolCoalesce {
  readonly rxCoalesceUsecs: number;
  readonly txCoalesceUsecs: number;
  readonly rxMaxCoalescedFrames: number;
  readonly txMaxCoalescedFrames: number;
}

/** `virtnet_get_coalesce`: the saved values with NOTF_COAL, else rx frames 1 and tx frames 1 with TX NAPI. */
export function virtnetGetCoalesce(vi: VirtnetInfo): EthtoolCoalesce {
  if (hasFeature(vi.vdev.features, VIRTIO_NET_F_NOTF_COAL)) {
    return { rxCoalesceUsecs: vi.rxUsecs, txCoalesceUsecs: vi.txUsecs, rxMaxCoalescedFrames: vi.rxMaxPackets, txMaxCoalescedFrames: vi.txMaxPackets };
  }
  return { rxCoalesceUsecs: 0, txCoalesceUsecs: 0, rxMaxCoalescedFrames: 1, txMaxCoalescedFrames: vi.sq[0]?.napi.weight ? 1 : 0 };
}

/**
 * `virtnet_send_notf_coal_cmds`: TX_SET then RX_SET; a TX failure skips RX.
 * Each side's values are saved only after its command succeeds.
 */
async function sendNotfCoal(vi: VirtnetInfo, ec: EthtoolCoalesce): Promise<number> {
  if (!ctrlOk(await virtnetCoalCommand(vi, true, ec.txMaxCoalescedFrames, ec.txCoalesceUsecs))) return errno.EINVAL;
  vi.txUsecs = ec.txCoalesceUsecs;
  vi.txMaxPackets = ec.txMaxCoalescedFrames;
  if (!ctrlOk(await virtnetCoalCommand(vi, false, ec.rxMaxCoalescedFrames, ec.rxCoalesceUsecs))) return errno.EINVAL;
  vi.rxUsecs = ec.rxCoalesceUsecs;
  vi.rxMaxPackets = ec.rxMaxCoalescedFrames;
  return 0;
}

/**
 * `virtnet_set_coalesce`: tx-frames 0 / non-0 switches TX NAPI off / on,
 * which is refused (-EBUSY) while the interface is up; with NOTF_COAL the
 * two commands go out; without it only rx-frames 1 and tx-frames ≤ 1 are
 * accepted and usecs are -EOPNOTSUPP (`virtnet_coal_params_supported`).
 */
export async function virtnetSetCoalesce(vi: VirtnetInfo, ec: EthtoolCoalesce): Promise<number> {
  const napiWeight = ec.txMaxCoalescedFrames !== 0 ? NAPI_POLL_WEIGHT : 0;
  let updateNapi = false;
  if (napiWeight !== (vi.sq[0]?.napi.weight ?? 0)) {
    if (vi.dev.up) return errno.EBUSY;
    updateNapi = true;
  }
  let ret: number;
  if (hasFeature(vi.vdev.features, VIRTIO_NET_F_NOTF_COAL)) {
    ret = await sendNotfCoal(vi, ec);
  } else if (ec.rxCoalesceUsecs !== 0 || ec.txCoalesceUsecs !== 0) {
    ret = errno.EOPNOTSUPP;
  } else if (ec.txMaxCoalescedFrames > 1 || ec.rxMaxCoalescedFrames !== 1) {
    ret = errno.EINVAL;
  } else {
    ret = 0;
  }
  if (ret !== 0) return ret;
  if (updateNapi) for (let i = 0; i < vi.maxQueuePairs; i++) (vi.sq[i] as (typeof vi.sq)[number]).napi.weight = napiWeight;
  return 0;
}
