/**
 * `ndo_bpf(XDP_SETUP_PROG)` = `virtnet_xdp_set` (Linux 6.1). What changes
 * for the device when a program is attached:
 * - GUEST_OFFLOADS_SET(0) on first attach (the device must stop sending GSO
 *   and partial checksums), GUEST_OFFLOADS_SET(saved) on detach. Without
 *   CTRL_GUEST_OFFLOADS, any negotiated guest offload refuses XDP
 *   (-EOPNOTSUPP).
 * - VQ_PAIRS_SET(curr + one pair per CPU) so XDP_TX gets its own send
 *   queues, when `max_queue_pairs` allows; else XDP_TX shares queue 0.
 * - Receive buffers posted from now on carry 256 bytes of headroom; a
 *   mergeable buffer becomes `PAGE_SIZE − room` long with no frag hole.
 * - XDP_TX frames go out with an all-zero header.
 * GRO_HW cannot be toggled while XDP is on (set_features: -EBUSY).
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import * as N from '../../../../specs/features/net.js';
import { errno, PADDED_VNET_HDR_LEN, PAGE_SIZE } from '../constants.js';
import { virtnetClearGuestOffloads, virtnetRestoreGuestOffloads, virtnetSetQueues } from '../ctrl-commands.js';
import { scheduleRefill, virtnetNapiEnable, virtnetNapiTxDisable, virtnetNapiTxEnable } from '../poll.js';
import { klog, type ReceiveQueue, type SendQueue, type VirtnetInfo, type XdpProgram } from '../virtnet-info.js';

/** `virtnet_xdp_set(dev, prog)`: attaches (`prog`) or detaches (null). 0 or a negative errno. */
export async function virtnetXdpSet(vi: VirtnetInfo, prog: XdpProgram | null): Promise<number> {
  const f = vi.vdev.features;
  const has = (bit: number): boolean => hasFeature(f, bit);
  const maxSz = PAGE_SIZE - PADDED_VNET_HDR_LEN;
  if (
    !has(N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) &&
    (has(N.VIRTIO_NET_F_GUEST_TSO4) || has(N.VIRTIO_NET_F_GUEST_TSO6) || has(N.VIRTIO_NET_F_GUEST_ECN) || has(N.VIRTIO_NET_F_GUEST_UFO) || has(N.VIRTIO_NET_F_GUEST_CSUM))
  ) {
    klog(vi, 'warn', "Can't set XDP while host is implementing GRO_HW/CSUM, disable GRO_HW/CSUM first");
    return errno.EOPNOTSUPP;
  }
  if (vi.mergeableRxBufs && !vi.anyHeaderSg) {
    klog(vi, 'warn', 'XDP expects header/data in single page, any_header_sg required');
    return errno.EINVAL;
  }
  if (vi.dev.mtu > maxSz) {
    klog(vi, 'warn', `XDP requires MTU less than ${maxSz}`);
    return errno.EINVAL;
  }
  const currQp = vi.currQueuePairs - vi.xdpQueuePairs;
  let xdpQp = prog !== null ? vi.onlineCpus : 0;
  if (currQp + xdpQp > vi.maxQueuePairs) {
    klog(vi, 'warn', `XDP request ${currQp + xdpQp} queues but max is ${vi.maxQueuePairs}. XDP_TX and XDP_REDIRECT will operate in a slower locked tx mode.`);
    xdpQp = 0;
  }
  const oldProg = vi.rq[0]?.xdpProg ?? null;
  if (prog === null && oldProg === null) return 0;
  const running = vi.dev.up;
  if (running) {
    for (let i = 0; i < vi.maxQueuePairs; i++) {
      await (vi.rq[i] as ReceiveQueue).napi.disable();
      await virtnetNapiTxDisable(vi.sq[i] as SendQueue);
    }
  }
  if (prog === null) {
    for (const rq of vi.rq) rq.xdpProg = null;
    await virtnetRestoreGuestOffloads(vi);
  }
  const err = await virtnetSetQueues(vi, currQp + xdpQp, () => scheduleRefill(vi));
  if (err !== 0) {
    if (prog === null) {
      await virtnetClearGuestOffloads(vi);
      for (const rq of vi.rq) rq.xdpProg = oldProg;
    }
    if (running) enableAll(vi);
    return err;
  }
  vi.dev.realNumRxQueues = currQp + xdpQp;
  vi.xdpQueuePairs = xdpQp;
  if (prog !== null) {
    vi.xdpEnabled = true;
    for (const rq of vi.rq) rq.xdpProg = prog;
    if (oldProg === null) await virtnetClearGuestOffloads(vi);
  } else {
    vi.xdpEnabled = false;
  }
  if (running) enableAll(vi);
  return 0;
}

function enableAll(vi: VirtnetInfo): void {
  for (let i = 0; i < vi.maxQueuePairs; i++) {
    const rq = vi.rq[i] as ReceiveQueue;
    virtnetNapiEnable(rq.vq, rq.napi);
    virtnetNapiTxEnable(vi.sq[i] as SendQueue);
  }
}
