/**
 * `ndo_start_xmit` = `start_xmit` (virtio_net.c:1893-1972;
 * linux-driver-facts §3.1): free completed buffers, queue the packet, stop
 * the queue when fewer than `2 + MAX_SKB_FRAGS` = 19 descriptors remain
 * (re-arming the TX interrupt for ~3/4 of the outstanding buffers, or
 * scheduling the TX poll at once when they are already used),
 * and kick unless more packets follow (`xmit_more`) and the queue is still
 * running. An error drops the packet with tx_fifo_errors and tx_dropped and
 * still returns NETDEV_TX_OK.
 *
 * @module
 */

import { TX_STOP_THRESHOLD } from '../constants.js';
import { virtqueueNapiSchedule } from '../poll.js';
import type { Skb } from '../skb.js';
import { freeOldXmitSkbs, xmitSkb } from '../tx.js';
import { klog, netifStopSubqueue, type SendQueue, type VirtnetInfo } from '../virtnet-info.js';

/** What `start_xmit` did with a packet (it always returns NETDEV_TX_OK). */
export type StartXmitResult =
  | {
      readonly kind: 'queued';
      /** The device was notified. */
      readonly kicked: boolean;
      /** The queue was stopped after this packet (fewer than 19 free descriptors). */
      readonly stopped: boolean;
    }
  | { readonly kind: 'dropped'; readonly errno: number };

/** Most rounds of the free / re-arm loop; a device completing faster than this is a runaway. */
const MAX_CLEAN_ROUNDS = 1024;

/** `start_xmit` on the queue `skb.queueMapping` names. */
export async function startXmit(vi: VirtnetInfo, skb: Skb): Promise<StartXmitResult> {
  const qnum = skb.queueMapping;
  const sq = vi.sq[qnum] as SendQueue;
  const kick = !skb.xmitMore;
  const useNapi = sq.napi.weight !== 0;
  for (let round = 0; round < MAX_CLEAN_ROUNDS; round++) {
    if (useNapi) sq.vq.disableCb();
    freeOldXmitSkbs(vi, sq);
    if (!(useNapi && kick && !sq.vq.enableCbDelayed())) break;
  }
  const err = xmitSkb(vi, sq, skb);
  if (err !== 0) {
    vi.dev.stats.tx_fifo_errors++;
    klog(vi, 'warn', `Unexpected TXQ (${qnum}) queue failure: ${err}`);
    vi.dev.stats.tx_dropped++;
    return { kind: 'dropped', errno: err };
  }
  vi.dev.txTransStart[qnum] = Date.now();
  if (sq.vq.numFree < TX_STOP_THRESHOLD) {
    netifStopSubqueue(vi, qnum);
    if (useNapi) {
      // Ask for an interrupt after ~3/4 of the outstanding buffers, or poll now if they are already used.
      if (!sq.vq.enableCbDelayed()) virtqueueNapiSchedule(sq.napi, sq.vq);
    } else if (!sq.vq.enableCbDelayed()) {
      freeOldXmitSkbs(vi, sq);
      if (sq.vq.numFree >= TX_STOP_THRESHOLD) {
        vi.dev.txStopped[qnum] = false;
        sq.vq.disableCb();
      }
    }
  }
  const stopped = vi.dev.txStopped[qnum] === true;
  let kicked = false;
  if (kick || stopped) {
    if (sq.vq.kickPrepare() && (await sq.vq.notify())) {
      sq.stats.kicks++;
      kicked = true;
    }
  }
  return { kind: 'queued', kicked, stopped };
}
