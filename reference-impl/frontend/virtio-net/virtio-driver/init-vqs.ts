/**
 * Queue setup and teardown of Linux 6.1 virtio-net: `init_vqs` /
 * `virtnet_find_vqs` (virtio_net.c:3567-3614) and `remove_vq_common` /
 * `free_unused_bufs`. Virtqueues are `rx0, tx0, rx1, tx1, …`, then the
 * control queue at `2 * max_queue_pairs` (`net.vq.any.1.driver`); the
 * control queue has no callback and is polled.
 *
 * Guest memory for packets (receive pools, transmit arenas, the control
 * area) is allocated on the first setup and reused when the queues are set
 * up again after a freeze, because the allocator cannot free.
 *
 * @module
 */

import type { DriverVirtqueue, VirtioError, VirtqueueRequest } from '../../virtio/virtio-config-ops.js';
import { NAPI_POLL_WEIGHT } from '../constants.js';
import { type ControlQueueOptions, ControlQueue } from '../control-queue.js';
import { Napi } from '../napi.js';
import { skbRecvDone, skbXmitDone, virtnetPoll, virtnetPollTx } from '../poll.js';
import { mergeableMinBufLen } from '../probe-decisions.js';
import { RxBufferPool } from '../rx-buffers.js';
import { newRqStats, newSqStats } from '../stats.js';
import { TxArena, txTokens } from '../tx.js';
import { netifWakeSubqueue, type ReceiveQueue, type SendQueue, type VirtnetInfo } from '../virtnet-info.js';

/** Memory sizes of the datapath. */
export interface QueueMemoryOptions {
  /** Bytes of guest memory per send queue for packets in flight. @default 1 MiB */
  readonly txArenaBytes?: number;
  /** Control queue options (bounded wait, payload area). */
  readonly control?: ControlQueueOptions;
}

/** The virtqueue requests of `virtnet_find_vqs`, callbacks bound to `vi`. */
export function virtnetQueueRequests(vi: VirtnetInfo): VirtqueueRequest<number>[] {
  const wake = (q: number): void => netifWakeSubqueue(vi, q);
  const requests: VirtqueueRequest<number>[] = [];
  for (let i = 0; i < vi.maxQueuePairs; i++) {
    requests.push({ index: 2 * i, name: `input.${i}`, callback: () => skbRecvDone(vi, i) });
    requests.push({ index: 2 * i + 1, name: `output.${i}`, callback: () => skbXmitDone(vi, i, wake) });
  }
  if (vi.hasCvq) requests.push({ index: 2 * vi.maxQueuePairs, name: 'control', callback: null });
  return requests;
}

/**
 * `init_vqs`: sets the queues up through the core (which refuses missing
 * queues and bad sizes as Linux does) and builds the receive and send
 * queue state. Returns the core's error on failure.
 */
export async function initVqs(vi: VirtnetInfo, mem: QueueMemoryOptions): Promise<VirtioError | null> {
  const found = await vi.vdev.findVqs<number>(virtnetQueueRequests(vi));
  if (found.kind !== 'ok') return found;
  const vqs = found.value;
  const wake = (q: number): void => netifWakeSubqueue(vi, q);
  const oldRq = vi.rq;
  const oldSq = vi.sq;
  vi.rq = [];
  vi.sq = [];
  for (let i = 0; i < vi.maxQueuePairs; i++) {
    const rvq = vqs[2 * i] as DriverVirtqueue<number>;
    const tvq = vqs[2 * i + 1] as DriverVirtqueue<number>;
    const prevR = oldRq[i];
    const rq: ReceiveQueue = {
      index: i,
      vq: rvq,
      pool: prevR?.pool ?? new RxBufferPool(vi.allocator, vi.rxMode, vi.hdrLen, vi.bigPacketsNumSkbfrags),
      stats: prevR?.stats ?? newRqStats(),
      napi: undefined as unknown as Napi,
      mrgAvgPktLen: prevR?.mrgAvgPktLen ?? 0,
      minBufLen: vi.rxMode === 'mergeable' ? mergeableMinBufLen(vi.hdrLen, rvq.size, vi.bigPackets, vi.dev.maxMtu) : 0,
      xdpProg: prevR?.xdpProg ?? null,
    };
    rq.napi = new Napi(`rx${i}`, NAPI_POLL_WEIGHT, vi.softirq, (napi, budget) => virtnetPoll(vi, rq, napi, budget, wake));
    const prevS = oldSq[i];
    const sq: SendQueue = {
      index: i,
      vq: tvq,
      arena: prevS?.arena ?? new TxArena(vi.allocator, mem.txArenaBytes ?? 1 << 20),
      inflight: [],
      freeTokens: txTokens(tvq.sizeMax),
      stats: prevS?.stats ?? newSqStats(),
      napi: undefined as unknown as Napi,
    };
    const weight = prevS?.napi.weight ?? (vi.params.napiTx ? NAPI_POLL_WEIGHT : 0);
    sq.napi = new Napi(`tx${i}`, weight, vi.softirq, (napi) => virtnetPollTx(vi, sq, napi, wake));
    vi.rq.push(rq);
    vi.sq.push(sq);
  }
  if (vi.hasCvq) {
    const cvq = vqs[2 * vi.maxQueuePairs] as DriverVirtqueue<number>;
    if (vi.cvq === null) vi.cvq = new ControlQueue(cvq, vi.memory, vi.allocator, mem.control);
    else vi.cvq.vq = cvq;
  }
  return null;
}

/**
 * `remove_vq_common`: resets the device, detaches every buffer the device
 * still holds (send queues first, then receive queues) and deletes the
 * queues.
 */
export async function removeVqCommon(vi: VirtnetInfo): Promise<void> {
  await vi.vdev.resetDevice();
  for (const sq of vi.sq) {
    for (let t = sq.vq.detachUnusedBuf(); t !== null; t = sq.vq.detachUnusedBuf()) {
      const inf = sq.inflight[t];
      sq.inflight[t] = undefined;
      if (inf !== undefined) for (const b of inf.blocks) sq.arena.free(b);
    }
  }
  for (const rq of vi.rq) {
    for (let s = rq.vq.detachUnusedBuf(); s !== null; s = rq.vq.detachUnusedBuf()) rq.pool.release(s);
  }
  await vi.vdev.delVqs();
}
