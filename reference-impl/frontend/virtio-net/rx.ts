/**
 * `receive_buf` and the three receive paths of Linux 6.1 (virtio_net.c
 * :796-1337; linux-driver-facts §3.2). The driver never trusts the device:
 * every used length is checked against what was posted, `num_buffers` is
 * only read with MRG_RXBUF, and a packet that breaks a rule is dropped and
 * counted exactly where Linux counts it:
 *
 * | check | counter |
 * |---|---|
 * | `len < hdr_len + 14` | rx_length_errors (no drop count) |
 * | small: `len − hdr_len > 1518` | rx_length_errors + drops |
 * | big: `len` beyond the posted total | drops only |
 * | mergeable: `len > truesize − room`, any buffer | rx_length_errors + drops |
 * | mergeable: fewer used buffers than `num_buffers` | rx_length_errors + drops |
 * | `virtio_net_hdr_to_skb` refuses | rx_frame_errors |
 *
 * Faithful to 6.1 also where 6.1 is fragile: `num_buffers = 0` wraps to
 * 65535 and swallows the following used buffers; a short first mergeable
 * buffer leaves its followers to be parsed as new packets.
 *
 * @module
 */

import { ETH_HLEN, GOOD_PACKET_LEN, PADDED_VNET_HDR_LEN, PAGE_SIZE, VIRTIO_XDP_HEADROOM } from './constants.js';
import { NETIF_F_RXHASH } from './features.js';
import { bigBufTotal, rxHeadroom } from './probe-decisions.js';
import { mergeableRoom, skbDataAlign } from './rx-buffers.js';
import { applyDataValid, ewmaPktLenAdd, hashTypeOfReport, readRxHdr, type RxHdr, virtioNetHdrToSkb, zeroRxHdr } from './rx-hdr.js';
import { makeSkb, type Skb } from './skb.js';
import { SKB_SHARED_INFO_SIZE } from './constants.js';
import { klog, type ReceiveQueue, type VirtnetInfo } from './virtnet-info.js';
import { runXdp } from './xdp.js';

/** Per-poll state: whether an XDP_TX frame awaits a kick at the end of the poll. */
export interface RxPollState {
  xdpTx: boolean;
}

interface Built {
  readonly skb: Skb;
  readonly hdr: RxHdr;
}

/**
 * `receive_buf`: one used buffer (the head of a packet) of `len` bytes.
 * Hands a good packet to the stack (`vi.delivered`, `vi.rxHandler`).
 */
export function receiveBuf(vi: VirtnetInfo, rq: ReceiveQueue, slot: number, len: number, st: RxPollState): void {
  const dev = vi.dev;
  if (len < vi.hdrLen + ETH_HLEN) {
    klog(vi, 'debug', `${dev.name}: short packet ${len}`);
    dev.stats.rx_length_errors++;
    rq.pool.release(slot);
    return;
  }
  const built =
    vi.rxMode === 'mergeable' ? receiveMergeable(vi, rq, slot, len, st) : vi.rxMode === 'big' ? receiveBig(vi, rq, slot, len) : receiveSmall(vi, rq, slot, len, st);
  if (built === null) return;
  const { skb, hdr } = built;
  if ((dev.features & NETIF_F_RXHASH) !== 0 && vi.hasRssHashReport) {
    skb.hash = hdr.hashValue;
    skb.hashType = hashTypeOfReport(hdr.hashReport);
  }
  applyDataValid(hdr, skb);
  if (!virtioNetHdrToSkb(hdr, skb.data.length, skb)) {
    klog(vi, 'warn', `${dev.name}: bad gso: type: ${hdr.gsoType}, size: ${hdr.gsoSize}`);
    dev.stats.rx_frame_errors++;
    return;
  }
  skb.queueMapping = rq.index;
  vi.delivered.push(skb);
  vi.rxHandler?.(skb);
}

function receiveSmall(vi: VirtnetInfo, rq: ReceiveQueue, slot: number, len: number, st: RxPollState): Built | null {
  const pool = rq.pool;
  const addr = pool.addr[slot] as number;
  const dataLen = len - vi.hdrLen;
  rq.stats.bytes += dataLen;
  if (dataLen > GOOD_PACKET_LEN) {
    klog(vi, 'debug', `${vi.dev.name}: rx error: len ${dataLen} exceeds max size ${GOOD_PACKET_LEN}`);
    vi.dev.stats.rx_length_errors++;
    rq.stats.drops++;
    pool.release(slot);
    return null;
  }
  const prog = rq.xdpProg;
  if (prog !== null) {
    const hdr = readRxHdr(vi.memory, addr, vi.hdrLen);
    if (hdr.gsoType !== 0) {
      xdpDrop(rq);
      pool.release(slot);
      return null;
    }
    const frame = vi.memory.copyOut(addr + vi.hdrLen, dataLen);
    pool.release(slot);
    if (runXdp(vi, rq, prog, frame, st) !== 'pass') return null;
    // receive_small keeps a zeroed vnet header once XDP is loaded.
    return { skb: makeSkb(frame), hdr: zeroRxHdr() };
  }
  const hdr = readRxHdr(vi.memory, addr, vi.hdrLen);
  const skb = makeSkb(vi.memory.copyOut(addr + vi.hdrLen, dataLen));
  pool.release(slot);
  return { skb, hdr };
}

function receiveBig(vi: VirtnetInfo, rq: ReceiveQueue, slot: number, len: number): Built | null {
  const pool = rq.pool;
  const base = pool.addr[slot] as number;
  rq.stats.bytes += len - vi.hdrLen;
  const total = bigBufTotal(vi.hdrLen, pool.numSkbfrags);
  if (len > total) {
    klog(vi, 'debug', `${vi.dev.name}: rx error: len ${len} exceeds allocated size ${total}`);
    rq.stats.drops++;
    pool.release(slot);
    return null;
  }
  const hdr = readRxHdr(vi.memory, base, vi.hdrLen);
  // The frame starts in descriptor 1, at offset 32 of the header page (padded_vnet_hdr).
  const skb = makeSkb(vi.memory.copyOut(base + PADDED_VNET_HDR_LEN, len - vi.hdrLen));
  pool.release(slot);
  return { skb, hdr };
}

function xdpDrop(rq: ReceiveQueue): void {
  rq.stats.xdp_drops++;
  rq.stats.drops++;
}

function lengthOk(vi: VirtnetInfo, rq: ReceiveQueue, slot: number, len: number): boolean {
  const limit = (rq.pool.truesize[slot] as number) - mergeableRoom(rq.pool.headroom[slot] as number);
  if (len <= limit) return true;
  klog(vi, 'debug', `${vi.dev.name}: rx error: len ${len} exceeds truesize ${limit}`);
  vi.dev.stats.rx_length_errors++;
  return false;
}

/** err_skb + err_buf of receive_mergeable: consume the rest of the packet, count one drop. */
function dropRest(vi: VirtnetInfo, rq: ReceiveQueue, numBuf: number): null {
  while (numBuf-- > 1) {
    const u = rq.vq.getBuf();
    if (u === null || u.kind === 'ring-error') {
      klog(vi, 'debug', `${vi.dev.name}: rx error: ${numBuf} buffers missing`);
      vi.dev.stats.rx_length_errors++;
      break;
    }
    rq.stats.bytes += u.len;
    rq.pool.release(u.token);
  }
  rq.stats.drops++;
  return null;
}

function receiveMergeable(vi: VirtnetInfo, rq: ReceiveQueue, slot: number, len: number, st: RxPollState): Built | null {
  const pool = rq.pool;
  const mem = vi.memory;
  const addr = pool.addr[slot] as number;
  const hdr = readRxHdr(mem, addr, vi.hdrLen);
  let numBuf = hdr.numBuffers & 0xffff;
  const totalBuffers = numBuf;
  rq.stats.bytes += len - vi.hdrLen;
  if (!lengthOk(vi, rq, slot, len)) {
    pool.release(slot);
    return dropRest(vi, rq, numBuf);
  }
  const prog = rq.xdpProg;
  if (prog !== null) return mergeableXdp(vi, rq, slot, len, hdr, st, prog);
  const parts: Uint8Array[] = [mem.copyOut(addr + vi.hdrLen, len - vi.hdrLen)];
  pool.release(slot);
  // `while (--num_buf)` on a u16: num_buffers 0 wraps to 65535.
  while ((numBuf = (numBuf - 1) & 0xffff) !== 0) {
    const u = rq.vq.getBuf();
    if (u === null || u.kind === 'ring-error') {
      klog(vi, 'debug', `${vi.dev.name}: rx error: ${numBuf} buffers out of ${totalBuffers} missing`);
      vi.dev.stats.rx_length_errors++;
      rq.stats.drops++;
      return null;
    }
    rq.stats.bytes += u.len;
    if (!lengthOk(vi, rq, u.token, u.len)) {
      pool.release(u.token);
      return dropRest(vi, rq, numBuf);
    }
    parts.push(mem.copyOut(pool.addr[u.token] as number, u.len));
    pool.release(u.token);
  }
  const skb = makeSkb(parts[0] as Uint8Array, { frags: parts.slice(1) });
  linearise(skb);
  rq.mrgAvgPktLen = ewmaPktLenAdd(rq.mrgAvgPktLen, skb.data.length);
  return { skb, hdr };
}

/** Copies the fragments into the linear part (the model keeps whole frames linear). */
function linearise(skb: Skb): void {
  if (skb.frags.length === 0) return;
  let n = skb.data.length;
  for (const f of skb.frags) n += f.length;
  const out = new Uint8Array(n);
  out.set(skb.data, 0);
  let at = skb.data.length;
  for (const f of skb.frags) {
    out.set(f, at);
    at += f.length;
  }
  skb.data = out;
  skb.frags = [];
}

/**
 * The XDP branch of receive_mergeable: GSO frames are dropped; a packet
 * spread over several buffers, or posted before the program was attached,
 * is linearised into one page (`xdp_linearize_page`), which fails when the
 * page would overflow or a buffer is longer than posted (CVE-2025-38375 fix).
 */
function mergeableXdp(vi: VirtnetInfo, rq: ReceiveQueue, slot: number, len: number, hdr: RxHdr, st: RxPollState, prog: NonNullable<ReceiveQueue['xdpProg']>): Built | null {
  const pool = rq.pool;
  const mem = vi.memory;
  let numBuf = hdr.numBuffers & 0xffff;
  if (hdr.gsoType !== 0) {
    pool.release(slot);
    rq.stats.xdp_drops++;
    return dropRest(vi, rq, numBuf);
  }
  const whole: Uint8Array[] = [mem.copyOut(pool.addr[slot] as number, len)];
  const headroom = pool.headroom[slot] as number;
  pool.release(slot);
  if (numBuf > 1 || headroom < rxHeadroom(vi.xdpEnabled)) {
    const tailroom = skbDataAlign(SKB_SHARED_INFO_SIZE);
    let pageOff = VIRTIO_XDP_HEADROOM;
    let failed = pageOff + len + tailroom > PAGE_SIZE;
    pageOff += len;
    while (!failed && (numBuf = (numBuf - 1) & 0xffff) !== 0) {
      const u = rq.vq.getBuf();
      if (u === null || u.kind === 'ring-error') {
        failed = true;
        break;
      }
      const ok = lengthOk(vi, rq, u.token, u.len) && pageOff + u.len + tailroom <= PAGE_SIZE;
      if (ok) whole.push(mem.copyOut(pool.addr[u.token] as number, u.len));
      pool.release(u.token);
      if (!ok) failed = true;
      else pageOff += u.len;
    }
    if (failed) {
      rq.stats.xdp_drops++;
      return dropRest(vi, rq, numBuf);
    }
  }
  const skb = makeSkb(whole[0] as Uint8Array, { frags: whole.slice(1) });
  linearise(skb);
  const frame = skb.data.subarray(vi.hdrLen).slice();
  if (runXdp(vi, rq, prog, frame, st) !== 'pass') return null;
  return { skb: makeSkb(frame), hdr };
}
