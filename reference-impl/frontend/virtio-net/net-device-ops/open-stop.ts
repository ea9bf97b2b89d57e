/**
 * `ndo_open` = `virtnet_open` and `ndo_stop` = `virtnet_close`
 * (virtio_net.c; seed §virtnet_open / §virtnet_close).
 *
 * Open posts receive buffers on the active queue pairs only (:1777-1780)
 * and enables NAPI on every pair; no buffer is posted before open, and open
 * cannot run before DRIVER_OK (bug R7). Close stops NAPI and the refill work
 * but leaves the posted buffers in place; they are detached at remove.
 *
 * @module
 */

import { scheduleRefill, tryFillRecv, virtnetNapiEnable, virtnetNapiTxDisable, virtnetNapiTxEnable } from '../poll.js';
import type { ReceiveQueue, SendQueue, VirtnetInfo } from '../virtnet-info.js';

/** `virtnet_open`. Always 0 in this model. */
export async function virtnetOpen(vi: VirtnetInfo): Promise<number> {
  vi.refillEnabled = true;
  for (let i = 0; i < vi.maxQueuePairs; i++) {
    const rq = vi.rq[i] as ReceiveQueue;
    const sq = vi.sq[i] as SendQueue;
    if (i < vi.currQueuePairs && !(await tryFillRecv(vi, rq))) scheduleRefill(vi);
    virtnetNapiEnable(rq.vq, rq.napi);
    virtnetNapiTxEnable(sq);
  }
  return 0;
}

/** `virtnet_close`. Always 0. */
export async function virtnetClose(vi: VirtnetInfo): Promise<number> {
  vi.refillEnabled = false;
  for (let i = 0; i < vi.maxQueuePairs; i++) {
    await (vi.rq[i] as ReceiveQueue).napi.disable();
    await virtnetNapiTxDisable(vi.sq[i] as SendQueue);
  }
  return 0;
}
