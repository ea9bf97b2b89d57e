/**
 * Which bytes of a received frame the device hashes, and which hash report
 * that gives (virtio 1.4 5.1.9.4.3 - 5.1.9.4.5, `net.hash.device.5`,
 * facts.md §6.3).
 *
 * Per IP version the first enabled rule that applies wins: TCP ports if the
 * TCP type is enabled and there is a TCP header, else UDP ports likewise,
 * else the addresses alone if the IP type is enabled, else no hash. For
 * IPv6 with extension headers the _EX rules come first (home address from
 * the destination options header and the routing header type 2 address in
 * place of source and destination, each falling back to the plain address
 * when absent); if no _EX type applies the extension headers are skipped and
 * the plain IPv6 rules apply. An IPv6 packet without extension headers only
 * consults the plain types, as the spec's section split says (QEMU also
 * consults _EX types there; a check must accept both).
 *
 * Reference choices where the spec is silent:
 * - up to two VLAN tags (0x8100, 0x88a8) before the IP header are skipped;
 * - an IPv4 fragment (MF set or offset non-zero) or an IPv6 packet with a
 *   fragment header carrying MF or an offset has no usable TCP/UDP header,
 *   as in QEMU and Microsoft's RSS, so it is hashed on addresses;
 * - "has a TCP header" means the 20-byte minimum TCP header lies inside the
 *   frame and the IP length; for UDP the 8-byte header;
 * - IPv6 extension headers skipped: hop-by-hop (0), routing (43), fragment
 *   (44), destination options (60), AH (51); any other next header ends the
 *   chain; a truncated extension header leaves only the addresses usable.
 *
 * The hash input is the fields in network byte order: source address,
 * destination address, then source port and destination port.
 *
 * Per-frame path: no allocation; the caller passes the output buffer.
 *
 * @module
 */

import {
  VIRTIO_NET_HASH_REPORT_IPv4,
  VIRTIO_NET_HASH_REPORT_IPv6,
  VIRTIO_NET_HASH_REPORT_IPv6_EX,
  VIRTIO_NET_HASH_REPORT_NONE,
  VIRTIO_NET_HASH_REPORT_TCPv4,
  VIRTIO_NET_HASH_REPORT_TCPv6,
  VIRTIO_NET_HASH_REPORT_TCPv6_EX,
  VIRTIO_NET_HASH_REPORT_UDPv4,
  VIRTIO_NET_HASH_REPORT_UDPv6,
  VIRTIO_NET_HASH_REPORT_UDPv6_EX,
  VIRTIO_NET_RSS_HASH_TYPE_IP_EX,
  VIRTIO_NET_RSS_HASH_TYPE_IPv4,
  VIRTIO_NET_RSS_HASH_TYPE_IPv6,
  VIRTIO_NET_RSS_HASH_TYPE_TCP_EX,
  VIRTIO_NET_RSS_HASH_TYPE_TCPv4,
  VIRTIO_NET_RSS_HASH_TYPE_TCPv6,
  VIRTIO_NET_RSS_HASH_TYPE_UDP_EX,
  VIRTIO_NET_RSS_HASH_TYPE_UDPv4,
  VIRTIO_NET_RSS_HASH_TYPE_UDPv6,
} from '../../../specs/net/hash.js';

/** Size of the longest hash input: two IPv6 addresses and two ports. */
export const HASH_INPUT_MAX = 36;

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const TCP_MIN_HEADER = 20;
const UDP_HEADER = 8;
const IPV6_OPT_HOME_ADDRESS = 0xc9;

/** Bytes of hash input a report value stands for (0 for NONE or an undefined value). */
export function hashInputLength(report: number): number {
  switch (report) {
    case VIRTIO_NET_HASH_REPORT_IPv4:
      return 8;
    case VIRTIO_NET_HASH_REPORT_TCPv4:
    case VIRTIO_NET_HASH_REPORT_UDPv4:
      return 12;
    case VIRTIO_NET_HASH_REPORT_IPv6:
    case VIRTIO_NET_HASH_REPORT_IPv6_EX:
      return 32;
    case VIRTIO_NET_HASH_REPORT_TCPv6:
    case VIRTIO_NET_HASH_REPORT_UDPv6:
    case VIRTIO_NET_HASH_REPORT_TCPv6_EX:
    case VIRTIO_NET_HASH_REPORT_UDPv6_EX:
      return 36;
    default:
      return 0;
  }
}

function be16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

function copy(from: Uint8Array, at: number, count: number, to: Uint8Array, dest: number): void {
  for (let i = 0; i < count; i++) to[dest + i] = from[at + i] as number;
}

/**
 * Picks the hash input of `frame` (an Ethernet frame) for the enabled
 * `hashTypes` (`VIRTIO_NET_RSS_HASH_TYPE_*` bits), writes it to
 * `out[0 .. hashInputLength(report))` and returns the
 * `VIRTIO_NET_HASH_REPORT_*` value; `VIRTIO_NET_HASH_REPORT_NONE` (nothing
 * written) when no enabled type applies. `out` must hold
 * {@link HASH_INPUT_MAX} bytes.
 */
export function selectHashInput(frame: Uint8Array, hashTypes: number, out: Uint8Array): number {
  const len = frame.length;
  if (len < 14 || hashTypes === 0) return VIRTIO_NET_HASH_REPORT_NONE;
  let etherType = be16(frame, 12);
  let off = 14;
  for (let tags = 0; tags < 2 && (etherType === ETH_P_8021Q || etherType === ETH_P_8021AD); tags++) {
    if (off + 4 > len) return VIRTIO_NET_HASH_REPORT_NONE;
    etherType = be16(frame, off + 2);
    off += 4;
  }
  if (etherType === ETH_P_IP) return ipv4Input(frame, off, hashTypes, out);
  if (etherType === ETH_P_IPV6) return ipv6Input(frame, off, hashTypes, out);
  return VIRTIO_NET_HASH_REPORT_NONE;
}

function ipv4Input(frame: Uint8Array, off: number, types: number, out: Uint8Array): number {
  const len = frame.length;
  if (off + 20 > len) return VIRTIO_NET_HASH_REPORT_NONE;
  const versionIhl = frame[off] as number;
  const ihl = (versionIhl & 0x0f) * 4;
  if (versionIhl >>> 4 !== 4 || ihl < 20 || off + ihl > len) return VIRTIO_NET_HASH_REPORT_NONE;
  const totalLength = be16(frame, off + 2);
  if (totalLength < ihl) return VIRTIO_NET_HASH_REPORT_NONE;
  const ipEnd = Math.min(len, off + totalLength);
  const fragment = (be16(frame, off + 6) & 0x3fff) !== 0;
  const proto = frame[off + 9] as number;
  const l4 = off + ihl;
  if (!fragment) {
    const tcp = proto === IPPROTO_TCP && l4 + TCP_MIN_HEADER <= ipEnd;
    const udp = proto === IPPROTO_UDP && l4 + UDP_HEADER <= ipEnd;
    if (tcp && (types & VIRTIO_NET_RSS_HASH_TYPE_TCPv4) !== 0) {
      copy(frame, off + 12, 8, out, 0);
      copy(frame, l4, 4, out, 8);
      return VIRTIO_NET_HASH_REPORT_TCPv4;
    }
    if (udp && (types & VIRTIO_NET_RSS_HASH_TYPE_UDPv4) !== 0) {
      copy(frame, off + 12, 8, out, 0);
      copy(frame, l4, 4, out, 8);
      return VIRTIO_NET_HASH_REPORT_UDPv4;
    }
  }
  if ((types & VIRTIO_NET_RSS_HASH_TYPE_IPv4) !== 0) {
    copy(frame, off + 12, 8, out, 0);
    return VIRTIO_NET_HASH_REPORT_IPv4;
  }
  return VIRTIO_NET_HASH_REPORT_NONE;
}

function ipv6Input(frame: Uint8Array, off: number, types: number, out: Uint8Array): number {
  const len = frame.length;
  if (off + 40 > len || (frame[off] as number) >>> 4 !== 6) return VIRTIO_NET_HASH_REPORT_NONE;
  const payloadLength = be16(frame, off + 4);
  // Payload length 0 is a jumbogram (or a sloppy sender): hash what is there.
  const ipEnd = payloadLength === 0 ? len : Math.min(len, off + 40 + payloadLength);
  const src = off + 8;
  const dst = off + 24;
  let next = frame[off + 6] as number;
  let p = off + 40;
  let hasExtensions = false;
  let fragment = false;
  let home = -1;
  let routed = -1;
  let walking = true;
  for (let count = 0; walking && count < 16; count++) {
    switch (next) {
      case 0: // hop-by-hop options
      case 43: // routing
      case 60: {
        // destination options
        if (p + 8 > ipEnd) return ipv6Choose(frame, types, out, src, dst, true, -1, 59, 0, home, routed);
        const hlen = ((frame[p + 1] as number) + 1) * 8;
        if (p + hlen > ipEnd) return ipv6Choose(frame, types, out, src, dst, true, -1, 59, 0, home, routed);
        if (next === 60 && home < 0) home = findHomeAddress(frame, p + 2, p + hlen);
        if (next === 43 && frame[p + 2] === 2 && frame[p + 1] === 2 && routed < 0) routed = p + 8;
        hasExtensions = true;
        next = frame[p] as number;
        p += hlen;
        break;
      }
      case 44: {
        // fragment
        if (p + 8 > ipEnd) return ipv6Choose(frame, types, out, src, dst, true, -1, 59, 0, home, routed);
        if ((be16(frame, p + 2) & 0xfff9) !== 0) fragment = true;
        hasExtensions = true;
        next = frame[p] as number;
        p += 8;
        break;
      }
      case 51: {
        // authentication header: length in 4-byte units, minus 2
        if (p + 8 > ipEnd) return ipv6Choose(frame, types, out, src, dst, true, -1, 59, 0, home, routed);
        const hlen = ((frame[p + 1] as number) + 2) * 4;
        if (p + hlen > ipEnd) return ipv6Choose(frame, types, out, src, dst, true, -1, 59, 0, home, routed);
        hasExtensions = true;
        next = frame[p] as number;
        p += hlen;
        break;
      }
      default:
        walking = false;
    }
  }
  const l4Room = fragment ? 0 : ipEnd - p;
  return ipv6Choose(frame, types, out, src, dst, hasExtensions, p, next, l4Room, home, routed);
}

function findHomeAddress(frame: Uint8Array, from: number, end: number): number {
  let q = from;
  while (q < end) {
    const type = frame[q] as number;
    if (type === 0) {
      q += 1; // Pad1
      continue;
    }
    if (q + 2 > end) return -1;
    const optLen = frame[q + 1] as number;
    if (type === IPV6_OPT_HOME_ADDRESS && optLen === 16 && q + 18 <= end) return q + 2;
    q += 2 + optLen;
  }
  return -1;
}

function ipv6Choose(
  frame: Uint8Array,
  types: number,
  out: Uint8Array,
  src: number,
  dst: number,
  hasExtensions: boolean,
  l4: number,
  proto: number,
  l4Room: number,
  home: number,
  routed: number,
): number {
  const tcp = l4 >= 0 && proto === IPPROTO_TCP && l4Room >= TCP_MIN_HEADER;
  const udp = l4 >= 0 && proto === IPPROTO_UDP && l4Room >= UDP_HEADER;
  if (hasExtensions) {
    const exSrc = home >= 0 ? home : src;
    const exDst = routed >= 0 ? routed : dst;
    if (tcp && (types & VIRTIO_NET_RSS_HASH_TYPE_TCP_EX) !== 0) {
      return ipv6Write(frame, out, exSrc, exDst, l4, VIRTIO_NET_HASH_REPORT_TCPv6_EX);
    }
    if (udp && (types & VIRTIO_NET_RSS_HASH_TYPE_UDP_EX) !== 0) {
      return ipv6Write(frame, out, exSrc, exDst, l4, VIRTIO_NET_HASH_REPORT_UDPv6_EX);
    }
    if ((types & VIRTIO_NET_RSS_HASH_TYPE_IP_EX) !== 0) {
      return ipv6Write(frame, out, exSrc, exDst, -1, VIRTIO_NET_HASH_REPORT_IPv6_EX);
    }
  }
  if (tcp && (types & VIRTIO_NET_RSS_HASH_TYPE_TCPv6) !== 0) {
    return ipv6Write(frame, out, src, dst, l4, VIRTIO_NET_HASH_REPORT_TCPv6);
  }
  if (udp && (types & VIRTIO_NET_RSS_HASH_TYPE_UDPv6) !== 0) {
    return ipv6Write(frame, out, src, dst, l4, VIRTIO_NET_HASH_REPORT_UDPv6);
  }
  if ((types & VIRTIO_NET_RSS_HASH_TYPE_IPv6) !== 0) {
    return ipv6Write(frame, out, src, dst, -1, VIRTIO_NET_HASH_REPORT_IPv6);
  }
  return VIRTIO_NET_HASH_REPORT_NONE;
}

function ipv6Write(frame: Uint8Array, out: Uint8Array, src: number, dst: number, l4: number, report: number): number {
  copy(frame, src, 16, out, 0);
  copy(frame, dst, 16, out, 16);
  if (l4 >= 0) copy(frame, l4, 4, out, 32);
  return report;
}
