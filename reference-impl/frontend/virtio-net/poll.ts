/**
 * Interrupt callbacks, NAPI polls and receive refill of Linux 6.1
 * (virtio_net.c: `skb_recv_done`, `skb_xmit_done` :398-425, `virtnet_poll`
 * :1703-1737, `virtnet_poll_tx`, `virtnet_poll_cleantx` :1696,
 * `virtnet_receive` :1582-1627, `try_fill_recv` :1486-1513, `refill_work`).
 *
 * @module
 */

import type { DriverVirtqueue } from '../virtio/virtio-config-ops.js';
import { errno, TX_STOP_THRESHOLD } from './constants.js';
import type { Napi } from './napi.js';
import { rxHeadroom } from './probe-decisions.js';
import { receiveBuf, type RxPollState } from './rx.js';
import { freeOldXmitSkbs } from './tx.js';
import { klog, type ReceiveQueue, type SendQueue, type VirtnetInfo } from './virtnet-info.js';
import { xdpGetSq } from './xdp.js';

/** `virtqueue_napi_schedule`: schedule and turn the queue's callbacks off. */
export function virtqueueNapiSchedule(napi: Napi, vq: DriverVirtqueue<number>): void {
  if (napi.schedule()) vq.disableCb();
}

/** `virtqueue_napi_complete`: re-arm callbacks, and re-schedule when buffers raced in. */
export function virtqueueNapiComplete(napi: Napi, vq: DriverVirtqueue<number>): void {
  const opaque = vq.enableCbPrepare();
  if (napi.complete()) {
    if (vq.poll(opaque)) virtqueueNapiSchedule(napi, vq);
  } else {
    vq.disableCb();
  }
}

/** `virtnet_napi_enable`: enable, then poll once in case buffers were used while disabled. */
export function virtnetNapiEnable(vq: DriverVirtqueue<number>, napi: Napi): void {
  napi.enable();
  virtqueueNapiSchedule(napi, vq);
}

/** `virtnet_napi_tx_enable`: only with TX NAPI (weight > 0). */
export function virtnetNapiTxEnable(sq: SendQueue): void {
  if (sq.napi.weight === 0) return;
  virtnetNapiEnable(sq.vq, sq.napi);
}

/** `virtnet_napi_tx_disable`. */
export async function virtnetNapiTxDisable(sq: SendQueue): Promise<void> {
  if (sq.napi.weight !== 0) await sq.napi.disable();
}

/** `is_xdp_raw_buffer_queue`: a send queue reserved for XDP_TX. */
export function isXdpRawBufferQueue(vi: VirtnetInfo, q: number): boolean {
  return q >= vi.currQueuePairs - vi.xdpQueuePairs && q < vi.currQueuePairs;
}

/** `skb_recv_done`: the RX interrupt schedules NAPI. */
export function skbRecvDone(vi: VirtnetInfo, q: number): void {
  const rq = vi.rq[q];
  if (rq !== undefined) virtqueueNapiSchedule(rq.napi, rq.vq);
}

/** `skb_xmit_done`: the TX interrupt schedules TX NAPI, or wakes the queue without it. */
export function skbXmitDone(vi: VirtnetInfo, q: number, wake: (q: number) => void): void {
  const sq = vi.sq[q];
  if (sq === undefined) return;
  sq.vq.disableCb();
  if (sq.napi.weight !== 0) virtqueueNapiSchedule(sq.napi, sq.vq);
  else wake(q);
}

/**
 * `try_fill_recv`: posts buffers until the ring is full or an add fails,
 * then kicks if the device wants it. False only on -ENOMEM (the caller
 * schedules the refill work).
 */
export async function tryFillRecv(vi: VirtnetInfo, rq: ReceiveQueue): Promise<boolean> {
  let err = 0;
  const headroom = rxHeadroom(vi.xdpEnabled);
  do {
    if (vi.rxMode === 'mergeable') {
      err = rq.pool.addMergeable(rq.vq, { avgPktLen: rq.mrgAvgPktLen, minBufLen: rq.minBufLen, headroom });
    } else if (vi.rxMode === 'big') {
      err = rq.pool.addBig(rq.vq);
    } else {
      err = rq.pool.addSmall(rq.vq, headroom);
    }
    if (err !== 0) break;
  } while (rq.vq.numFree > 0);
  if (rq.vq.kickPrepare() && (await rq.vq.notify())) rq.stats.kicks++;
  return err !== errno.ENOMEM;
}

/** `refill_work`: refills every active receive queue with NAPI held off. */
export async function refillWork(vi: VirtnetInfo): Promise<void> {
  for (let i = 0; i < vi.currQueuePairs; i++) {
    const rq = vi.rq[i] as ReceiveQueue;
    await rq.napi.disable();
    const stillEmpty = !(await tryFillRecv(vi, rq));
    virtnetNapiEnable(rq.vq, rq.napi);
    // Linux re-schedules after HZ/2; the model records the queue instead of retrying forever.
    if (stillEmpty) vi.refillPending.add(i);
    else vi.refillPending.delete(i);
  }
}

/** `schedule_delayed_work(&vi->refill, 0)` when refill is enabled. */
export function scheduleRefill(vi: VirtnetInfo): void {
  if (!vi.refillEnabled) return;
  vi.softirq.defer(() => refillWork(vi));
}

/** `virtnet_receive`: up to `budget` packets, then a refill when half the ring (or budget) is free. */
export async function virtnetReceive(vi: VirtnetInfo, rq: ReceiveQueue, budget: number, st: RxPollState): Promise<number> {
  let packets = 0;
  while (packets < budget) {
    const u = rq.vq.getBuf();
    if (u === null) break;
    if (u.kind === 'ring-error') {
      klog(vi, 'err', `${rq.vq.name}: ${u.message}`);
      break;
    }
    receiveBuf(vi, rq, u.token, u.len, st);
    packets++;
  }
  rq.stats.packets += packets;
  if (rq.vq.numFree > Math.floor(Math.min(budget, rq.vq.size) / 2)) {
    if (!(await tryFillRecv(vi, rq))) scheduleRefill(vi);
  }
  return packets;
}

/** `virtnet_poll_cleantx`: frees the paired send queue's completions from the RX poll (TX NAPI only). */
export function virtnetPollCleantx(vi: VirtnetInfo, q: number, wake: (q: number) => void): void {
  const sq = vi.sq[q];
  if (sq === undefined || sq.napi.weight === 0 || isXdpRawBufferQueue(vi, q)) return;
  do {
    sq.vq.disableCb();
    freeOldXmitSkbs(vi, sq);
  } while (!sq.vq.enableCbDelayed());
  if (sq.vq.numFree >= TX_STOP_THRESHOLD) wake(q);
}

/** `virtnet_poll`: the RX NAPI poll. */
export async function virtnetPoll(vi: VirtnetInfo, rq: ReceiveQueue, napi: Napi, budget: number, wake: (q: number) => void): Promise<number> {
  const st: RxPollState = { xdpTx: false };
  virtnetPollCleantx(vi, rq.index, wake);
  const received = await virtnetReceive(vi, rq, budget, st);
  if (received < budget) virtqueueNapiComplete(napi, rq.vq);
  if (st.xdpTx) {
    const sq = xdpGetSq(vi);
    if (sq.vq.kickPrepare() && (await sq.vq.notify())) sq.stats.kicks++;
  }
  return received;
}

/** `virtnet_poll_tx`: the TX NAPI poll; wakes the queue at 19 free descriptors. */
export async function virtnetPollTx(vi: VirtnetInfo, sq: SendQueue, napi: Napi, wake: (q: number) => void): Promise<number> {
  if (isXdpRawBufferQueue(vi, sq.index)) {
    napi.complete();
    return 0;
  }
  sq.vq.disableCb();
  freeOldXmitSkbs(vi, sq);
  if (sq.vq.numFree >= TX_STOP_THRESHOLD) wake(sq.index);
  const opaque = sq.vq.enableCbPrepare();
  const done = napi.complete();
  if (!done) sq.vq.disableCb();
  if (done && sq.vq.poll(opaque)) virtqueueNapiSchedule(napi, sq.vq);
  return 0;
}
