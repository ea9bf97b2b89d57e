/**
 * The rules on `struct virtio_net_hdr` field values that depend on the negotiated features,
 * written from 5.1.9.2.1 and 5.1.9.4.1 as a check sees them: which flag bits and GSO types a
 * device may put in a receive header and a driver in a transmit header. Only MUST / MUST NOT
 * rules are here; the SHOULD NOT on ECN (`net.rx.device.13`, `net.tx.driver.14`) is left out, so
 * that a MUST-level check never fails on it.
 *
 * The header is decoded here from its bytes (little-endian, 1.x), independently of the reference
 * implementation's codec.
 *
 * @module
 */

import { hasFeature, type FeatureSet } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';

/** The header fields the rules look at. */
export interface HdrFields {
  readonly flags: number;
  readonly gsoType: number;
  readonly hdrLen: number;
  readonly gsoSize: number;
  readonly csumStart: number;
  readonly csumOffset: number;
  /** `num_buffers`, or null for a 10-byte header. */
  readonly numBuffers: number | null;
}

/** Decodes the fixed part of a header from its first bytes (at least 10). */
export function decodeHdr(bytes: Uint8Array): HdrFields {
  const u16 = (at: number) => (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
  return {
    flags: bytes[0] ?? 0,
    gsoType: bytes[1] ?? 0,
    hdrLen: u16(2),
    gsoSize: u16(4),
    csumStart: u16(6),
    csumOffset: u16(8),
    numBuffers: bytes.length >= 12 ? u16(10) : null,
  };
}

/** One broken rule. */
export interface HdrFinding {
  readonly clause: string;
  readonly observed: string;
  readonly expected: string;
}

const NEEDS_CSUM = 1;
const DATA_VALID = 2;
const RSC_INFO = 4;
const UDP_TUNNEL_CSUM = 8;
const SECURITY = 16;
const SECURITY_ERR = 32;
const SECURITY_SA_SOFT_EXPIRY_WARN = 64;
const GSO_TCPV4 = 1;
const GSO_UDP = 3;
const GSO_TCPV6 = 4;
const GSO_UDP_L4 = 5;
const GSO_TUNNEL = 0x20 | 0x40;
const GSO_ECN = 0x80;

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/**
 * Every MUST-level rule the receive header `h` of a `frameLength`-byte frame breaks under
 * `features` (`net.rx.device.5`, `.7`–`.12`, `.20`, `.26`–`.28`, `.30`, `.34`, `.39`, `.42`, `.44`).
 */
export function rxHeaderFindings(h: HdrFields, features: FeatureSet, frameLength: number): HdrFinding[] {
  const has = (bit: number) => hasFeature(features, bit);
  const out: HdrFinding[] = [];
  const f = h.flags;
  const flagsSeen = `flags ${hex(f)}`;
  if (!has(N.VIRTIO_NET_F_GUEST_CSUM)) {
    if (f !== 0) out.push({ clause: 'net.rx.device.5', observed: `${flagsSeen} without VIRTIO_NET_F_GUEST_CSUM`, expected: 'flags 0' });
  } else {
    const gated: [number, number, string, string][] = [
      [RSC_INFO, N.VIRTIO_NET_F_RSC_EXT, 'net.rx.device.30', 'RSC_INFO needs VIRTIO_NET_F_RSC_EXT'],
      [UDP_TUNNEL_CSUM, N.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM, 'net.rx.device.12', 'UDP_TUNNEL_CSUM needs VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM'],
      [SECURITY, N.VIRTIO_NET_F_IPSEC, 'net.rx.device.39', 'SECURITY needs IPsec processing (VIRTIO_NET_F_IPSEC)'],
      [SECURITY_ERR, N.VIRTIO_NET_F_IPSEC, 'net.rx.device.42', 'SECURITY_ERR needs IPsec processing (VIRTIO_NET_F_IPSEC)'],
      [SECURITY_SA_SOFT_EXPIRY_WARN, N.VIRTIO_NET_F_IPSEC, 'net.rx.device.44', 'SA_SOFT_EXPIRY_WARN needs an IPsec SA (VIRTIO_NET_F_IPSEC)'],
    ];
    for (const [bit, feature, clause, rule] of gated) {
      if ((f & bit) !== 0 && !has(feature)) out.push({ clause, observed: `${flagsSeen}, not negotiated`, expected: rule });
    }
  }
  const type = h.gsoType;
  const base = type & ~(GSO_TUNNEL | GSO_ECN);
  const tunnel = (type & GSO_TUNNEL) !== 0;
  if (type !== 0) {
    const guestGso = [N.VIRTIO_NET_F_GUEST_TSO4, N.VIRTIO_NET_F_GUEST_TSO6, N.VIRTIO_NET_F_GUEST_UFO, N.VIRTIO_NET_F_GUEST_USO4, N.VIRTIO_NET_F_GUEST_USO6];
    const seen = `gso_type ${hex(type)}`;
    if (!guestGso.some(has)) {
      out.push({ clause: 'net.rx.device.26', observed: `${seen} without any guest GSO feature`, expected: 'gso_type VIRTIO_NET_HDR_GSO_NONE' });
    } else {
      if (base === GSO_TCPV4 && !has(N.VIRTIO_NET_F_GUEST_TSO4)) out.push({ clause: 'net.rx.device.7', observed: seen, expected: 'no TCPV4 without VIRTIO_NET_F_GUEST_TSO4' });
      if (base === GSO_UDP && !has(N.VIRTIO_NET_F_GUEST_UFO)) out.push({ clause: 'net.rx.device.8', observed: seen, expected: 'no UDP without VIRTIO_NET_F_GUEST_UFO' });
      if (base === GSO_TCPV6 && !has(N.VIRTIO_NET_F_GUEST_TSO6)) out.push({ clause: 'net.rx.device.9', observed: seen, expected: 'no TCPV6 without VIRTIO_NET_F_GUEST_TSO6' });
      if (base === GSO_UDP_L4 && !has(N.VIRTIO_NET_F_GUEST_USO4) && !has(N.VIRTIO_NET_F_GUEST_USO6)) {
        out.push({ clause: 'net.rx.device.10', observed: seen, expected: 'no UDP_L4 without VIRTIO_NET_F_GUEST_USO4 or _USO6' });
      }
      if (tunnel && !has(N.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO)) {
        out.push({ clause: 'net.rx.device.11', observed: seen, expected: 'no UDP tunnel bit without VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO' });
      }
      if (base !== 0 && (f & NEEDS_CSUM) === 0) out.push({ clause: 'net.rx.device.27', observed: `${seen} with ${flagsSeen}`, expected: 'NEEDS_CSUM set on a GSO packet' });
      if (base !== 0 && h.gsoSize === 0) out.push({ clause: 'net.rx.device.28', observed: `${seen} with gso_size 0`, expected: 'gso_size = the MSS' });
    }
    if (tunnel && (f & DATA_VALID) !== 0) out.push({ clause: 'net.rx.device.34', observed: `${seen} with ${flagsSeen}`, expected: 'no DATA_VALID with a tunnel bit' });
  }
  if ((f & NEEDS_CSUM) !== 0 && has(N.VIRTIO_NET_F_GUEST_CSUM) && h.csumStart + h.csumOffset + 2 > frameLength) {
    out.push({
      clause: 'net.rx.device.20',
      observed: `csum_start ${h.csumStart} + csum_offset ${h.csumOffset} points past the ${frameLength}-byte frame`,
      expected: 'a checksum position inside the frame',
    });
  }
  return out;
}

/**
 * Every MUST-level rule the transmit header `h` breaks under `features` (`net.tx.driver.3`,
 * `.7`, `.9`, `.11`, `.13`, `.17`, `.22`, `.31`–`.33`, `.45`). `num_buffers` is judged apart
 * (`net.tx.driver.2`).
 */
export function txHeaderFindings(h: HdrFields, features: FeatureSet): HdrFinding[] {
  const has = (bit: number) => hasFeature(features, bit);
  const out: HdrFinding[] = [];
  const f = h.flags;
  const flagsSeen = `flags ${hex(f)}`;
  if (!has(N.VIRTIO_NET_F_CSUM) && f !== 0) out.push({ clause: 'net.tx.driver.3', observed: `${flagsSeen} without VIRTIO_NET_F_CSUM`, expected: 'flags 0' });
  if ((f & (DATA_VALID | RSC_INFO)) !== 0) out.push({ clause: 'net.tx.driver.45', observed: flagsSeen, expected: 'no DATA_VALID or RSC_INFO on transmit' });
  if ((f & UDP_TUNNEL_CSUM) !== 0 && !has(N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM)) {
    out.push({ clause: 'net.tx.driver.22', observed: flagsSeen, expected: 'no UDP_TUNNEL_CSUM without VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM' });
  }
  const type = h.gsoType;
  if (type === 0) return out;
  const base = type & ~(GSO_TUNNEL | GSO_ECN);
  const seen = `gso_type ${hex(type)}`;
  const hostGso = [N.VIRTIO_NET_F_HOST_TSO4, N.VIRTIO_NET_F_HOST_TSO6, N.VIRTIO_NET_F_HOST_USO, N.VIRTIO_NET_F_HOST_UFO];
  if (!hostGso.some(has)) {
    out.push({ clause: 'net.tx.driver.31', observed: `${seen} without any host GSO feature`, expected: 'gso_type VIRTIO_NET_HDR_GSO_NONE' });
    return out;
  }
  if (base === GSO_TCPV4 && !has(N.VIRTIO_NET_F_HOST_TSO4)) out.push({ clause: 'net.tx.driver.7', observed: seen, expected: 'no TCPV4 without VIRTIO_NET_F_HOST_TSO4' });
  if (base === GSO_TCPV6 && !has(N.VIRTIO_NET_F_HOST_TSO6)) out.push({ clause: 'net.tx.driver.9', observed: seen, expected: 'no TCPV6 without VIRTIO_NET_F_HOST_TSO6' });
  if (base === GSO_UDP && !has(N.VIRTIO_NET_F_HOST_UFO)) out.push({ clause: 'net.tx.driver.11', observed: seen, expected: 'no UDP without VIRTIO_NET_F_HOST_UFO' });
  if (base === GSO_UDP_L4 && !has(N.VIRTIO_NET_F_HOST_USO)) out.push({ clause: 'net.tx.driver.13', observed: seen, expected: 'no UDP_L4 without VIRTIO_NET_F_HOST_USO' });
  if ((type & GSO_TUNNEL) !== 0 && !has(N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO)) {
    out.push({ clause: 'net.tx.driver.17', observed: seen, expected: 'no UDP tunnel bit without VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO' });
  }
  if (base !== 0 && (f & NEEDS_CSUM) === 0) out.push({ clause: 'net.tx.driver.32', observed: `${seen} with ${flagsSeen}`, expected: 'NEEDS_CSUM set on a GSO packet' });
  if (base !== 0 && h.gsoSize === 0) out.push({ clause: 'net.tx.driver.33', observed: `${seen} with gso_size 0`, expected: 'gso_size = the MSS' });
  return out;
}
