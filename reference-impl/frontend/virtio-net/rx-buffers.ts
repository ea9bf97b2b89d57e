/**
 * Posting receive buffers the way Linux 6.1 does (linux-driver-facts §1.7):
 * `add_recvbuf_small`, `add_recvbuf_big`, `add_recvbuf_mergeable` and
 * `try_fill_recv`, with the exact descriptor lengths the device sees.
 *
 * Memory: each buffer lives in a slot of guest memory owned by this pool
 * (allocated on first use, reused after the buffer comes back). Linux
 * carves buffers out of 32 KiB page frags; the addresses differ here, but
 * the lengths do not: mergeable lengths follow the page-frag arithmetic,
 * including the "hole" that the last buffer of a frag absorbs
 * (add_recvbuf_mergeable :1436-1477), and the reset of the frag offset
 * once every buffer carved from it has come back (skb_page_frag_refill).
 * Buffers are taken back as soon as the driver has copied the packet out,
 * where Linux would wait for the stack to free the skb.
 *
 * @module
 */

import type { GuestAllocator } from '../../memory/guest-memory.js';
import type { DriverVirtqueue } from '../virtio/virtio-config-ops.js';
import { errno, PADDED_VNET_HDR_LEN, PAGE_SIZE, SKB_FRAG_PAGE_SIZE, SKB_SHARED_INFO_SIZE, VIRTNET_RX_PAD, VIRTIO_XDP_HEADROOM } from './constants.js';
import { bigBufSegments, mergeableBufLen, type RxMode, smallBufLen } from './probe-decisions.js';

/** `SKB_DATA_ALIGN`: round up to the cache line. */
export function skbDataAlign(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Room reserved around a mergeable buffer: none without XDP, headroom + shared-info tailroom with it. */
export function mergeableRoom(headroom: number): number {
  return headroom === 0 ? 0 : skbDataAlign(headroom + SKB_SHARED_INFO_SIZE);
}

/** Slot sizes per mode: enough for the largest buffer the mode can post. */
function slotBytes(mode: RxMode, hdr: number, numSkbfrags: number): number {
  if (mode === 'small') return VIRTNET_RX_PAD + VIRTIO_XDP_HEADROOM + smallBufLen(hdr);
  if (mode === 'big') return (numSkbfrags + 1) * PAGE_SIZE;
  return 2 * PAGE_SIZE;
}

/** Parameters of one mergeable refill, from the queue's state. */
export interface MergeableParams {
  /** EWMA of packet lengths (`rq->mrg_avg_pkt_len`). */
  readonly avgPktLen: number;
  /** `rq->min_buf_len`. */
  readonly minBufLen: number;
  /** XDP headroom (0 without a program). */
  readonly headroom: number;
}

/** The receive buffers of one queue. Tokens are slot numbers. */
export class RxBufferPool {
  /** Guest address the device writes to, per slot. */
  readonly addr: number[] = [];
  /** Total posted descriptor length per slot. */
  readonly len: number[] = [];
  /** Headroom recorded in the buffer's context (small: XDP headroom; mergeable: ctx headroom). */
  readonly headroom: number[] = [];
  /** Mergeable truesize recorded in the context (`len + room`). */
  readonly truesize: number[] = [];
  private readonly base: number[] = [];
  private readonly page: number[] = [];
  private readonly free: number[] = [];
  private outstanding = 0;
  private fragOffset = SKB_FRAG_PAGE_SIZE;
  private fragPage = 0;
  private fragRefs = 0;
  private readonly slotSize: number;

  constructor(
    private readonly allocator: GuestAllocator,
    readonly mode: RxMode,
    readonly hdrLen: number,
    readonly numSkbfrags: number,
  ) {
    this.slotSize = slotBytes(mode, hdrLen, numSkbfrags);
  }

  /** Buffers posted and not yet taken back. */
  get inFlight(): number {
    return this.outstanding;
  }

  /** Guest address of a slot's memory start (big mode: the header page). */
  slotBase(slot: number): number {
    return this.base[slot] as number;
  }

  private take(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    let addr: number;
    try {
      addr = this.allocator.alloc(this.slotSize, PAGE_SIZE);
    } catch {
      return -1;
    }
    this.base.push(addr);
    this.addr.push(0);
    this.len.push(0);
    this.headroom.push(0);
    this.truesize.push(0);
    this.page.push(-1);
    return this.base.length - 1;
  }

  /** Takes a buffer back (after receive, or when detached at reset). */
  release(slot: number): void {
    if (this.page[slot] === this.fragPage && this.fragRefs > 0) this.fragRefs--;
    this.page[slot] = -1;
    this.free.push(slot);
    this.outstanding--;
  }

  private added(slot: number, r: ReturnType<DriverVirtqueue<number>['add']>): number {
    if (r.kind === 'added') {
      this.outstanding++;
      return 0;
    }
    this.free.push(slot);
    if (this.page[slot] === this.fragPage && this.fragRefs > 0) this.fragRefs--;
    this.page[slot] = -1;
    return r.kind === 'broken' ? errno.EIO : errno.ENOSPC;
  }

  /**
   * `add_recvbuf_small`: one device-writable descriptor of `hdr_len + 1518`
   * bytes at offset VIRTNET_RX_PAD + XDP headroom. 0 or a negative errno.
   */
  addSmall(vq: DriverVirtqueue<number>, xdpHeadroom: number): number {
    const slot = this.take();
    if (slot < 0) return errno.ENOMEM;
    const addr = (this.base[slot] as number) + VIRTNET_RX_PAD + xdpHeadroom;
    const len = smallBufLen(this.hdrLen);
    this.addr[slot] = addr;
    this.len[slot] = len;
    this.headroom[slot] = xdpHeadroom;
    return this.added(slot, vq.addInbuf(addr, len, slot));
  }

  /**
   * `add_recvbuf_big`: `num_skbfrags + 2` device-writable descriptors: the
   * header alone at the page start, the rest of that page from offset 32,
   * then whole pages (one indirect descriptor when the ring uses them).
   */
  addBig(vq: DriverVirtqueue<number>): number {
    const slot = this.take();
    if (slot < 0) return errno.ENOMEM;
    const base = this.base[slot] as number;
    const segs = bigBufSegments(this.hdrLen, this.numSkbfrags);
    const st = vq.stage;
    // More segments than ring entries: the model's indirect tables hold at most the ring size (Linux: -ENOSPC without indirect).
    if (segs.length > st.capacity) return this.added(slot, { kind: 'no-space', notify: false });
    st.clear();
    st.in(base, segs[0] as number);
    st.in(base + PADDED_VNET_HDR_LEN, segs[1] as number);
    for (let i = 2; i < segs.length; i++) st.in(base + (i - 1) * PAGE_SIZE, PAGE_SIZE);
    this.addr[slot] = base;
    this.len[slot] = segs.reduce((a, b) => a + b, 0);
    this.headroom[slot] = 0;
    return this.added(slot, vq.add(slot));
  }

  /**
   * `add_recvbuf_mergeable`: one descriptor of `get_mergeable_buf_len`
   * bytes, grown by the rest of the 32 KiB frag when another buffer would
   * not fit there (not with XDP headroom). The context keeps `len + room`
   * as truesize.
   */
  addMergeable(vq: DriverVirtqueue<number>, p: MergeableParams): number {
    const room = mergeableRoom(p.headroom);
    let len = mergeableBufLen(p.avgPktLen, p.minBufLen, this.hdrLen, room);
    const need = len + room;
    const slot = this.take();
    if (slot < 0) return errno.ENOMEM;
    // skb_page_frag_refill: reuse the frag page when nothing carved from it is still out, else start a new one when full.
    if (this.fragRefs === 0) this.fragOffset = 0;
    else if (this.fragOffset + need > SKB_FRAG_PAGE_SIZE) {
      this.fragPage++;
      this.fragOffset = 0;
      this.fragRefs = 0;
    }
    this.fragOffset += need;
    const hole = SKB_FRAG_PAGE_SIZE - this.fragOffset;
    if (hole < need) {
      if (p.headroom === 0) len += hole;
      this.fragOffset += hole;
    }
    this.fragRefs++;
    this.page[slot] = this.fragPage;
    const addr = (this.base[slot] as number) + p.headroom;
    this.addr[slot] = addr;
    this.len[slot] = len;
    this.headroom[slot] = p.headroom;
    this.truesize[slot] = len + room;
    return this.added(slot, vq.addInbuf(addr, len, slot));
  }
}
