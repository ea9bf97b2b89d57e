/**
 * Transmit buffers: `virtio_net_hdr_from_skb` and `xmit_skb`
 * (virtio_net.c:1846-1891, include/linux/virtio_net.h:192-231) and
 * `free_old_xmit_skbs` (:1629-1663), with the guest memory the packets are
 * copied into (linux-driver-facts §3.1).
 *
 * Header fill, exactly as 6.1: only the first 10 bytes (`struct
 * virtio_net_hdr`) are written; `num_buffers` is set to 0 only with
 * MRG_RXBUF; bytes 10-11 without MRG_RXBUF and the hash fields with
 * HASH_REPORT are left as they were in memory (`net.tx.driver.2`: the
 * device must ignore them). DATA_VALID is never set; GSO types other than
 * TCPv4 / TCPv6 are refused with -EPROTO (so UFO never goes out).
 *
 * @module
 */

import { VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6 } from '../../../specs/net/hdr.js';
import type { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { errno } from './constants.js';
import { type Skb, skbLen } from './skb.js';
import { klog, type SendQueue, type VirtnetInfo } from './virtnet-info.js';

/** The fields `virtio_net_hdr_from_skb` writes. */
export interface TxHdrFields {
  readonly flags: number;
  readonly gsoType: number;
  readonly hdrLen: number;
  readonly gsoSize: number;
  readonly csumStart: number;
  readonly csumOffset: number;
}

/**
 * `virtio_net_hdr_from_skb(skb, hdr, le, has_data_valid=false, vlan_hlen=0)`:
 * the header for a packet, or null for a GSO type the 6.1 helper refuses.
 * `hdr_len` is the linear length (a hint); NEEDS_CSUM with csum_start /
 * csum_offset for a partial checksum (`net.tx.driver.3`, `net.tx.driver.6`..`.9`).
 */
export function virtioNetHdrFromSkb(skb: Skb): TxHdrFields | null {
  let gsoType = VIRTIO_NET_HDR_GSO_NONE;
  let hdrLen = 0;
  let gsoSize = 0;
  if (skb.gso !== null) {
    hdrLen = skb.data.length;
    gsoSize = skb.gso.size;
    if (skb.gso.type === 'tcpv4') gsoType = VIRTIO_NET_HDR_GSO_TCPV4;
    else if (skb.gso.type === 'tcpv6') gsoType = VIRTIO_NET_HDR_GSO_TCPV6;
    else return null;
    if (skb.gso.ecn) gsoType |= VIRTIO_NET_HDR_GSO_ECN;
  }
  if (skb.ipSummed === 'partial') {
    return { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType, hdrLen, gsoSize, csumStart: skb.csumStart, csumOffset: skb.csumOffset };
  }
  return { flags: 0, gsoType, hdrLen, gsoSize, csumStart: 0, csumOffset: 0 };
}

/** Writes the 10-byte `struct virtio_net_hdr` at `addr` (little-endian: VERSION_1). */
export function writeNetHdr(mem: GuestMemory, addr: number, h: TxHdrFields): void {
  mem.write8(addr, h.flags);
  mem.write8(addr + 1, h.gsoType);
  mem.write16(addr + 2, h.hdrLen);
  mem.write16(addr + 4, h.gsoSize);
  mem.write16(addr + 6, h.csumStart);
  mem.write16(addr + 8, h.csumOffset);
}

/**
 * Guest memory for packets in flight on one send queue: a ring of
 * variable-sized blocks, freed in any order and reclaimed from the oldest.
 * Linux transmits from the skb's own pages; the model copies each packet
 * into this arena once.
 */
export class TxArena {
  private readonly base: number;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly live: boolean[] = [];
  private first = 0;
  private head = 0;
  private tail = 0;

  constructor(
    allocator: GuestAllocator,
    readonly size: number,
  ) {
    this.base = allocator.alloc(size, 64);
  }

  /** Guest address of the arena. */
  get baseAddr(): number {
    return this.base;
  }

  /** Bytes currently held (wasted wrap space included). */
  get used(): number {
    if (this.first === this.starts.length) return 0;
    return this.tail >= this.head ? this.tail - this.head : this.size - this.head + this.tail;
  }

  /** Allocates `len` bytes (16-aligned); returns the block number, or −1 when full. */
  alloc(len: number): number {
    const n = Math.max(16, (len + 15) & ~15);
    if (n > this.size) return -1;
    let start: number;
    if (this.first === this.starts.length) {
      this.head = this.tail = 0;
      start = 0;
    } else if (this.tail > this.head) {
      if (this.size - this.tail >= n) start = this.tail;
      else if (n < this.head) start = 0;
      else return -1;
    } else if (this.head - this.tail > n) start = this.tail;
    else return -1;
    this.tail = start + n;
    this.starts.push(start);
    this.ends.push(start + n);
    this.live.push(true);
    return this.starts.length - 1;
  }

  /** Guest address of block `b`. */
  addr(b: number): number {
    return this.base + (this.starts[b] as number);
  }

  /** Frees block `b`; space is reclaimed once every older block is free too. */
  free(b: number): void {
    this.live[b] = false;
    while (this.first < this.starts.length && this.live[this.first] === false) this.first++;
    if (this.first === this.starts.length) {
      this.starts.length = this.ends.length = this.live.length = 0;
      this.first = 0;
      this.head = this.tail = 0;
    } else {
      this.head = this.starts[this.first] as number;
    }
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

/**
 * `xmit_skb`: fills the header, copies the packet into guest memory and
 * adds it to the send queue. With `can_push` (any_header_sg, aligned data,
 * header not cloned, enough headroom) header and linear data share one
 * descriptor; otherwise the header is its own descriptor; each fragment is
 * one more (`net.tx.driver.1`, `framing.driver.1`). Returns 0 or a
 * negative errno (-EPROTO bad GSO type, -ENOSPC ring full, -EIO broken,
 * -ENOMEM arena full).
 */
export function xmitSkb(vi: VirtnetInfo, sq: SendQueue, skb: Skb): number {
  const hdrLen = vi.hdrLen;
  const canPush = vi.anyHeaderSg && skb.misaligned !== true && skb.headerCloned !== true && (skb.headroom ?? vi.dev.neededHeadroom) >= hdrLen;
  const hdr = virtioNetHdrFromSkb(skb);
  if (hdr === null) return errno.EPROTO;
  if (skb.frags.length + 2 > sq.vq.stage.capacity) return errno.ENOSPC;
  const lin = skb.data;
  let bytes = canPush ? hdrLen + lin.length : align16(hdrLen) + lin.length;
  for (const f of skb.frags) bytes = align16(bytes) + f.length;
  const block = sq.arena.alloc(bytes);
  if (block < 0) return errno.ENOMEM;
  const token = sq.freeTokens.pop();
  if (token === undefined) {
    sq.arena.free(block);
    return errno.ENOSPC;
  }
  const mem = vi.memory;
  const base = sq.arena.addr(block);
  writeNetHdr(mem, base, hdr);
  if (vi.mergeableRxBufs) mem.write16(base + 10, 0);
  const st = sq.vq.stage;
  st.clear();
  let at: number;
  if (canPush) {
    mem.writeBytes(base + hdrLen, lin);
    st.out(base, hdrLen + lin.length);
    at = base + hdrLen + lin.length;
  } else {
    st.out(base, hdrLen);
    at = base + align16(hdrLen);
    if (lin.length > 0) {
      mem.writeBytes(at, lin);
      st.out(at, lin.length);
    }
    at += lin.length;
  }
  for (const f of skb.frags) {
    at = align16(at - base) + base;
    mem.writeBytes(at, f);
    st.out(at, f.length);
    at += f.length;
  }
  const r = sq.vq.add(token);
  if (r.kind !== 'added') {
    sq.freeTokens.push(token);
    sq.arena.free(block);
    return r.kind === 'broken' ? errno.EIO : errno.ENOSPC;
  }
  sq.inflight[token] = { skb, len: skbLen(skb), blocks: [block], xdp: false };
  return 0;
}

/**
 * `free_old_xmit_skbs`: collects every completed transmit buffer, frees its
 * memory and counts packets and bytes. The used length is ignored, as in
 * Linux (`net.tx.driver.*`: TX used.len carries no meaning to the driver).
 * Returns the number of buffers freed.
 */
export function freeOldXmitSkbs(vi: VirtnetInfo, sq: SendQueue): number {
  let packets = 0;
  let bytes = 0;
  for (;;) {
    const u = sq.vq.getBuf();
    if (u === null) break;
    if (u.kind === 'ring-error') {
      klog(vi, 'err', `${sq.vq.name}: ${u.message}`);
      break;
    }
    const token = u.token;
    const inf = sq.inflight[token];
    if (inf === undefined) break;
    sq.inflight[token] = undefined;
    sq.freeTokens.push(token);
    for (const b of inf.blocks) sq.arena.free(b);
    bytes += inf.len;
    packets++;
  }
  if (packets === 0) return 0;
  sq.stats.bytes += bytes;
  sq.stats.packets += packets;
  return packets;
}

/** Tokens 0..n−1, all free, for a send queue of `n` entries. */
export function txTokens(n: number): number[] {
  const t: number[] = [];
  for (let i = n - 1; i >= 0; i--) t.push(i);
  return t;
}
