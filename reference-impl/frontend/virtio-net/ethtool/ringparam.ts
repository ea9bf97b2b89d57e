/**
 * `ethtool -g` / `-G` = `virtnet_get_ringparam` / `virtnet_set_ringparam`
 * (Linux 6.1; linux-driver-facts §4.4 "Resize"). A size change resizes every
 * queue pair through the core's `resize` (Linux `virtqueue_resize`):
 * per-queue reset (VIRTIO_F_RING_RESET, `vqreset.driver.*`), detach and
 * recycle the unused buffers, a new ring, re-enable with the new size; the
 * receive side is refilled at once.
 *
 * Errors are Linux's: -EINVAL for mini/jumbo rings, a size above the
 * maximum or 0 (from `virtqueue_resize`); -ENOENT without
 * VIRTIO_F_RING_RESET (the transport's `disable_vq_and_reset` refuses, not
 * -EOPNOTSUPP); -ENOMEM for a split size that is not a power of 2, after
 * the queue was reset and re-enabled with its old ring. The first error
 * stops the loop, leaving earlier queues resized, as in Linux.
 *
 * @module
 */

import type { DriverVirtqueue } from '../../virtio/virtio-config-ops.js';
import { errno } from '../constants.js';
import { scheduleRefill, tryFillRecv, virtnetNapiEnable, virtnetNapiTxDisable, virtnetNapiTxEnable } from '../poll.js';
import { klog, netifStopSubqueue, netifWakeSubqueue, type ReceiveQueue, type SendQueue, type VirtnetInfo } from '../virtnet-info.js';

/** `struct ethtool_ringparam` as virtio-net fills it. */
export interface EthtoolRingparam {
  readonly rxMaxPending: number;
  readonly txMaxPending: number;
  readonly rxPending: number;
  readonly txPending: number;
  readonly rxMiniPending?: number;
  readonly rxJumboPending?: number;
}

/** `virtnet_get_ringparam`: current and maximum sizes of queue pair 0. */
export function virtnetGetRingparam(vi: VirtnetInfo): EthtoolRingparam {
  const rq = (vi.rq[0] as ReceiveQueue).vq;
  const sq = (vi.sq[0] as SendQueue).vq;
  return { rxMaxPending: rq.sizeMax, txMaxPending: sq.sizeMax, rxPending: rq.size, txPending: sq.size };
}

/** `virtqueue_resize`: 0 or a negative errno. */
async function virtqueueResize<T>(vq: DriverVirtqueue<T>, num: number, recycle: (t: T) => void): Promise<number> {
  const r = await vq.resize(num, recycle);
  return r.kind === 'ok' ? 0 : r.errno;
}

async function rxResize(vi: VirtnetInfo, rq: ReceiveQueue, num: number): Promise<number> {
  const running = vi.dev.up;
  if (running) await rq.napi.disable();
  const err = await virtqueueResize(rq.vq, num, (slot) => rq.pool.release(slot));
  if (err !== 0) klog(vi, 'err', `resize rx fail: rx queue index: ${rq.index} err: ${err}`);
  if (!(await tryFillRecv(vi, rq))) scheduleRefill(vi);
  if (running) virtnetNapiEnable(rq.vq, rq.napi);
  return err;
}

async function txResize(vi: VirtnetInfo, sq: SendQueue, num: number): Promise<number> {
  const running = vi.dev.up;
  if (running) await virtnetNapiTxDisable(sq);
  netifStopSubqueue(vi, sq.index);
  const err = await virtqueueResize(sq.vq, num, (token) => {
    const inf = sq.inflight[token];
    sq.inflight[token] = undefined;
    sq.freeTokens.push(token);
    if (inf !== undefined) for (const b of inf.blocks) sq.arena.free(b);
  });
  if (err !== 0) klog(vi, 'err', `resize tx fail: tx queue index: ${sq.index} err: ${err}`);
  netifWakeSubqueue(vi, sq.index);
  if (running) virtnetNapiTxEnable(sq);
  return err;
}

/**
 * `virtnet_set_ringparam`: -EINVAL for mini/jumbo rings or sizes above the
 * device maximum; nothing to do when both sizes are unchanged; else each
 * pair's TX then RX queue is resized, stopping at the first error.
 */
export async function virtnetSetRingparam(vi: VirtnetInfo, ring: EthtoolRingparam): Promise<number> {
  if ((ring.rxMiniPending ?? 0) !== 0 || (ring.rxJumboPending ?? 0) !== 0) return errno.EINVAL;
  const cur = virtnetGetRingparam(vi);
  if (ring.rxPending === cur.rxPending && ring.txPending === cur.txPending) return 0;
  if (ring.rxPending > cur.rxMaxPending || ring.txPending > cur.txMaxPending) return errno.EINVAL;
  for (let i = 0; i < vi.maxQueuePairs; i++) {
    if (ring.txPending !== cur.txPending) {
      const err = await txResize(vi, vi.sq[i] as SendQueue, ring.txPending);
      if (err !== 0) return err;
    }
    if (ring.rxPending !== cur.rxPending) {
      const err = await rxResize(vi, vi.rq[i] as ReceiveQueue, ring.rxPending);
      if (err !== 0) return err;
    }
  }
  return 0;
}
