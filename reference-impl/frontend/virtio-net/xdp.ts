/**
 * XDP on the datapath (Linux 6.1): running an attached program on a
 * received frame, and `virtnet_xdp_xmit` / `__virtnet_xdp_xmit_one`, which
 * transmit XDP frames with a **fully zeroed** header of `hdr_len` bytes in
 * one descriptor, unlike `xmit_skb`, which writes only the first 10 bytes.
 * Attaching and detaching (offloads, queue pairs) is
 * `net-device-ops/xdp-setup.ts`.
 *
 * @module
 */

import { errno } from './constants.js';
import type { ReceiveQueue, SendQueue, VirtnetInfo, XdpProgram } from './virtnet-info.js';

/** What became of a frame handed to the program. */
export type XdpVerdict = 'pass' | 'consumed' | 'dropped';

/** `XDP_XMIT_FLUSH`. */
export const XDP_XMIT_FLUSH = 1;

/**
 * `virtnet_xdp_get_sq`: the dedicated XDP send queue of CPU 0 when XDP got
 * its own queue pairs, else the shared queue `0 % curr_queue_pairs`.
 */
export function xdpGetSq(vi: VirtnetInfo): SendQueue {
  const qp = vi.xdpQueuePairs > 0 ? vi.currQueuePairs - vi.xdpQueuePairs : 0;
  return vi.sq[qp] as SendQueue;
}

/** `__virtnet_xdp_xmit_one`: zeroed header + frame in one descriptor. 0 or -ENOSPC. */
function xdpXmitOne(vi: VirtnetInfo, sq: SendQueue, frame: Uint8Array): number {
  const len = vi.hdrLen + frame.length;
  const block = sq.arena.alloc(len);
  if (block < 0) return errno.ENOSPC;
  const token = sq.freeTokens.pop();
  if (token === undefined) {
    sq.arena.free(block);
    return errno.ENOSPC;
  }
  const addr = sq.arena.addr(block);
  vi.memory.fill(addr, vi.hdrLen);
  vi.memory.writeBytes(addr + vi.hdrLen, frame);
  const r = sq.vq.addOutbuf(addr, len, token);
  if (r.kind !== 'added') {
    sq.freeTokens.push(token);
    sq.arena.free(block);
    return errno.ENOSPC;
  }
  sq.inflight[token] = { skb: null, len, blocks: [block], xdp: true };
  return 0;
}

/** Result of {@link xdpXmitFrames}. */
export interface XdpXmitResult {
  /** Frames queued, or a negative errno. */
  readonly result: number;
  readonly sq: SendQueue | null;
}

/**
 * The ring part of `virtnet_xdp_xmit`: -ENXIO without a program on rq 0,
 * -EINVAL for unknown flags; frees completed buffers, queues as many frames
 * as fit, and counts xdp_tx / xdp_tx_drops. The caller kicks.
 */
export function xdpXmitFrames(vi: VirtnetInfo, frames: readonly Uint8Array[], flags: number): XdpXmitResult {
  if (vi.rq[0]?.xdpProg == null) return { result: errno.ENXIO, sq: null };
  const sq = xdpGetSq(vi);
  if ((flags & ~XDP_XMIT_FLUSH) !== 0) return { result: errno.EINVAL, sq };
  let packets = 0;
  let bytes = 0;
  for (let u = sq.vq.getBuf(); u !== null && u.kind !== 'ring-error'; u = sq.vq.getBuf()) {
    const inf = sq.inflight[u.token];
    if (inf === undefined) break;
    sq.inflight[u.token] = undefined;
    sq.freeTokens.push(u.token);
    for (const b of inf.blocks) sq.arena.free(b);
    bytes += inf.len;
    packets++;
  }
  let nxmit = 0;
  for (const f of frames) {
    if (xdpXmitOne(vi, sq, f) !== 0) break;
    nxmit++;
  }
  sq.stats.bytes += bytes;
  sq.stats.packets += packets;
  sq.stats.xdp_tx += frames.length;
  sq.stats.xdp_tx_drops += frames.length - nxmit;
  return { result: nxmit, sq };
}

/** `ndo_xdp_xmit` = `virtnet_xdp_xmit`: queues frames, kicks with XDP_XMIT_FLUSH. Frames queued or a negative errno. */
export async function virtnetXdpXmit(vi: VirtnetInfo, frames: readonly Uint8Array[], flags: number): Promise<number> {
  const r = xdpXmitFrames(vi, frames, flags);
  if (r.result >= 0 && r.sq !== null && (flags & XDP_XMIT_FLUSH) !== 0) {
    if (r.sq.vq.kickPrepare() && (await r.sq.vq.notify())) r.sq.stats.kicks++;
  }
  return r.result;
}

/**
 * Runs `prog` on a received frame (receive_small / receive_mergeable):
 * XDP_PASS goes on to the stack; XDP_TX queues the frame on the XDP send
 * queue (kicked at the end of the poll); XDP_REDIRECT is counted and the
 * frame consumed (redirect targets are not modelled); XDP_DROP and
 * XDP_ABORTED drop and count xdp_drops and drops.
 */
export function runXdp(vi: VirtnetInfo, rq: ReceiveQueue, prog: XdpProgram, frame: Uint8Array, st: { xdpTx: boolean }): XdpVerdict {
  const act = prog(frame, rq.index);
  rq.stats.xdp_packets++;
  switch (act) {
    case 'pass':
      return 'pass';
    case 'tx': {
      rq.stats.xdp_tx++;
      const r = xdpXmitFrames(vi, [frame], 0);
      if (r.result < 0) break;
      st.xdpTx = true;
      return 'consumed';
    }
    case 'redirect':
      rq.stats.xdp_redirects++;
      return 'consumed';
    case 'aborted':
    case 'drop':
      break;
  }
  rq.stats.xdp_drops++;
  rq.stats.drops++;
  return 'dropped';
}
