/**
 * The receive header as the 6.1 driver reads it: `virtio_net_hdr_to_skb`
 * (include/linux/virtio_net.h:47-190), DATA_VALID and the hash report
 * (`virtio_skb_set_hash`, virtio_net.c:1249-1276), linux-driver-facts §3.2.
 *
 * What Linux does not check, this does not check either: GSO or NEEDS_CSUM
 * frames without the matching GUEST_* feature are accepted, and DATA_VALID
 * is honoured without GUEST_CSUM (the gate, not the driver, flags those).
 *
 * @module
 */

import {
  VIRTIO_NET_HASH_REPORT_IPv4,
  VIRTIO_NET_HASH_REPORT_IPv6,
  VIRTIO_NET_HASH_REPORT_IPv6_EX,
  VIRTIO_NET_HASH_REPORT_TCPv4,
  VIRTIO_NET_HASH_REPORT_TCPv6,
  VIRTIO_NET_HASH_REPORT_TCPv6_EX,
  VIRTIO_NET_HASH_REPORT_UDPv4,
  VIRTIO_NET_HASH_REPORT_UDPv6,
  VIRTIO_NET_HASH_REPORT_UDPv6_EX,
} from '../../../specs/net/hash.js';
import {
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP,
} from '../../../specs/net/hdr.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { PktHashType, Skb, SkbGsoType } from './skb.js';

/** A receive header as read from the first buffer. */
export interface RxHdr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
  /** Present with hdr_len ≥ 12. */
  numBuffers: number;
  /** Present with hdr_len 20. */
  hashValue: number;
  hashReport: number;
}

/** Reads the `hdrLen`-byte header at `addr` (little-endian: VERSION_1). */
export function readRxHdr(mem: GuestMemory, addr: number, hdrLen: number): RxHdr {
  return {
    flags: mem.read8(addr),
    gsoType: mem.read8(addr + 1),
    hdrLen: mem.read16(addr + 2),
    gsoSize: mem.read16(addr + 4),
    csumStart: mem.read16(addr + 6),
    csumOffset: mem.read16(addr + 8),
    numBuffers: hdrLen >= 12 ? mem.read16(addr + 10) : 0,
    hashValue: hdrLen >= 20 ? mem.read32(addr + 12) : 0,
    hashReport: hdrLen >= 20 ? mem.read16(addr + 16) : 0,
  };
}

/** A header with every field 0 (what receive_small leaves when XDP is loaded). */
export function zeroRxHdr(): RxHdr {
  return { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 0, hashValue: 0, hashReport: 0 };
}

/** `GSO_BY_FRAGS`: a gso_size the kernel reserves. */
export const GSO_BY_FRAGS = 0xffff;
const TCP_CSUM_OFFSET = 16;

/**
 * `virtio_net_hdr_to_skb` for a frame of `frameLen` bytes: sets the
 * checksum and GSO state of `skb`, or returns false (-EINVAL, the caller
 * counts rx_frame_errors) when:
 * - gso_type (ECN masked) is not NONE, TCPV4, TCPV6 or UDP, or gso_size is 0 with a GSO type;
 * - NEEDS_CSUM and `csum_start + max(thlen, csum_offset + 2)` lies beyond the
 *   frame, or `skb_partial_csum_set` fails;
 * - a GSO frame is shorter than its transport header;
 * - TCP GSO with a partial checksum whose csum_offset is not 16 (stable backport);
 * - gso_size is GSO_BY_FRAGS.
 * GSO metadata is kept only when the payload exceeds gso_size.
 *
 * A freshly built receive skb has no network header yet, so the
 * protocol-probing branch for GSO without NEEDS_CSUM is not reached from
 * virtio_net; only the transport-header pull applies there.
 */
export function virtioNetHdrToSkb(h: RxHdr, frameLen: number, skb: Skb): boolean {
  let gso: SkbGsoType | null = null;
  let thlen = 0;
  if (h.gsoType !== VIRTIO_NET_HDR_GSO_NONE) {
    const base = h.gsoType & ~VIRTIO_NET_HDR_GSO_ECN;
    if (base === VIRTIO_NET_HDR_GSO_TCPV4) gso = 'tcpv4';
    else if (base === VIRTIO_NET_HDR_GSO_TCPV6) gso = 'tcpv6';
    else if (base === VIRTIO_NET_HDR_GSO_UDP) gso = 'udp';
    else return false;
    thlen = gso === 'udp' ? 8 : 20;
    if (h.gsoSize === 0) return false;
  }
  let pOff = 0;
  if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
    const start = h.csumStart;
    const off = h.csumOffset;
    const needed = start + Math.max(thlen, off + 2);
    if (needed > frameLen) return false;
    if (start > frameLen || start + off > frameLen - 2) return false;
    skb.ipSummed = 'partial';
    skb.csumStart = start;
    skb.csumOffset = off;
    pOff = start + thlen;
    if (pOff > frameLen) return false;
  } else if (gso !== null) {
    pOff = thlen;
    if (pOff > frameLen) return false;
  }
  if (gso !== null) {
    let nhOff = pOff;
    if (gso === 'udp') nhOff -= thlen;
    if ((gso === 'tcpv4' || gso === 'tcpv6') && skb.ipSummed === 'partial' && skb.csumOffset !== TCP_CSUM_OFFSET) return false;
    if (h.gsoSize === GSO_BY_FRAGS) return false;
    if (frameLen - nhOff > h.gsoSize) skb.gso = { type: gso, size: h.gsoSize, ecn: (h.gsoType & VIRTIO_NET_HDR_GSO_ECN) !== 0 };
  }
  return true;
}

/** DATA_VALID means CHECKSUM_UNNECESSARY, not gated on GUEST_CSUM (virtio_net.c:1315-1316). */
export function applyDataValid(h: RxHdr, skb: Skb): void {
  if ((h.flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0) skb.ipSummed = 'unnecessary';
}

/** `virtio_skb_set_hash`: the report type decides L4, L3 or none; the value is taken as is. */
export function hashTypeOfReport(report: number): PktHashType {
  switch (report) {
    case VIRTIO_NET_HASH_REPORT_TCPv4:
    case VIRTIO_NET_HASH_REPORT_UDPv4:
    case VIRTIO_NET_HASH_REPORT_TCPv6:
    case VIRTIO_NET_HASH_REPORT_UDPv6:
    case VIRTIO_NET_HASH_REPORT_TCPv6_EX:
    case VIRTIO_NET_HASH_REPORT_UDPv6_EX:
      return 'l4';
    case VIRTIO_NET_HASH_REPORT_IPv4:
    case VIRTIO_NET_HASH_REPORT_IPv6:
    case VIRTIO_NET_HASH_REPORT_IPv6_EX:
      return 'l3';
    default:
      return 'none';
  }
}

/** `ewma_pkt_len_add` with precision 0 and weight 1/64 (`DECLARE_EWMA(pkt_len, 0, 64)`). */
export function ewmaPktLenAdd(internal: number, value: number): number {
  return internal === 0 ? value >>> 0 : Math.floor((internal * 63 + value) / 64) >>> 0;
}
