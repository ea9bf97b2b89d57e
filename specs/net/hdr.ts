/**
 * `struct virtio_net_hdr`, the per-packet header on every transmit and
 * receive buffer (virtio 1.4 section 5.1.9), its flags, GSO types, size rule
 * and the receive buffer sizes that follow from it.
 *
 * Fields are little-endian, or guest-native over the legacy interface
 * (`net.op.legacy.1.device`).
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../features/feature-set.js';
import {
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_ECN,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_TSO6,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
  VIRTIO_NET_F_GUEST_UFO,
  VIRTIO_NET_F_GUEST_USO4,
  VIRTIO_NET_F_GUEST_USO6,
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HOST_ECN,
  VIRTIO_NET_F_HOST_TSO4,
  VIRTIO_NET_F_HOST_TSO6,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
  VIRTIO_NET_F_HOST_UFO,
  VIRTIO_NET_F_HOST_USO,
  VIRTIO_NET_F_IPSEC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_OUT_NET_HEADER,
  VIRTIO_NET_F_RSC_EXT,
} from '../features/net.js';
import { VIRTIO_F_VERSION_1 } from '../features/reserved.js';
import { ALWAYS, anyOf, feature, type Requirement } from '../features/requirement.js';
import { defineStruct, type StructLayout } from '../layout.js';
import { existsIn, type SpecVersion } from '../version.js';

/** Field names of {@link virtio_net_hdr}. */
export type VirtioNetHdrField =
  | 'flags'
  | 'gso_type'
  | 'hdr_len'
  | 'gso_size'
  | 'csum_start'
  | 'csum_offset'
  | 'num_buffers'
  | 'hash_value'
  | 'hash_report'
  | 'padding_reserved'
  | 'outer_th_offset'
  | 'inner_nh_offset'
  | 'outer_nh_offset'
  | 'padding_reserved_2';

/**
 * Layout of the largest (1.4, 32-byte) header. Positions are fixed: a shorter
 * header is a prefix. Bytes 26..31 are a union of `padding_reserved_2[6]` and
 * the IPsec resource header, see {@link virtio_net_hdr_ipsec_resource}.
 */
export const virtio_net_hdr: StructLayout<VirtioNetHdrField> = defineStruct({
  flags: 1,
  gso_type: 1,
  hdr_len: 2,
  gso_size: 2,
  csum_start: 2,
  csum_offset: 2,
  num_buffers: 2,
  hash_value: 4,
  hash_report: 2,
  padding_reserved: 2,
  outer_th_offset: 2,
  inner_nh_offset: 2,
  outer_nh_offset: 2,
  padding_reserved_2: 6,
});

/**
 * The IPsec view of header bytes 26..31 (`ipsec_resource_hdr`, 1.4); offsets
 * are from the start of the header. Meaningful only when the SECURITY flag is
 * set (`net.tx.device.13`).
 */
export const virtio_net_hdr_ipsec_resource: StructLayout<'resource_id' | 'resource_type'> = defineStruct(
  { resource_id: { offset: 26, size: 4 }, resource_type: { offset: 30, size: 2 } },
  32,
);

/** When a header field is present, and since which revision. */
export interface NetHdrFieldInfo {
  /** Field name. */
  readonly field: VirtioNetHdrField;
  /** The field is part of the header when the negotiated features satisfy this. */
  readonly presentWith: Requirement;
  /** First revision with the field. */
  readonly since: SpecVersion;
}

const TUNNEL_GSO = anyOf(VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO);

/**
 * Presence of each header field (facts.md §5). A longer header still carries
 * the earlier optional fields even when their feature is absent: tunnel GSO
 * without HASH_REPORT is 24 bytes with bytes 12..19 unused. RSC_EXT reuses
 * csum_start / csum_offset for segment and dup-ACK counts (`net.rx.device.29`).
 */
export const VIRTIO_NET_HDR_FIELDS: Readonly<Record<VirtioNetHdrField, NetHdrFieldInfo>> = Object.freeze({
  flags: { field: 'flags', presentWith: ALWAYS, since: '1.2' },
  gso_type: { field: 'gso_type', presentWith: ALWAYS, since: '1.2' },
  hdr_len: { field: 'hdr_len', presentWith: ALWAYS, since: '1.2' },
  gso_size: { field: 'gso_size', presentWith: ALWAYS, since: '1.2' },
  csum_start: { field: 'csum_start', presentWith: ALWAYS, since: '1.2' },
  csum_offset: { field: 'csum_offset', presentWith: ALWAYS, since: '1.2' },
  num_buffers: { field: 'num_buffers', presentWith: anyOf(VIRTIO_F_VERSION_1, VIRTIO_NET_F_MRG_RXBUF), since: '1.2' },
  hash_value: { field: 'hash_value', presentWith: feature(VIRTIO_NET_F_HASH_REPORT), since: '1.2' },
  hash_report: { field: 'hash_report', presentWith: feature(VIRTIO_NET_F_HASH_REPORT), since: '1.2' },
  padding_reserved: { field: 'padding_reserved', presentWith: feature(VIRTIO_NET_F_HASH_REPORT), since: '1.2' },
  outer_th_offset: { field: 'outer_th_offset', presentWith: TUNNEL_GSO, since: '1.4' },
  inner_nh_offset: { field: 'inner_nh_offset', presentWith: TUNNEL_GSO, since: '1.4' },
  outer_nh_offset: { field: 'outer_nh_offset', presentWith: feature(VIRTIO_NET_F_OUT_NET_HEADER), since: '1.4' },
  padding_reserved_2: {
    field: 'padding_reserved_2',
    presentWith: anyOf(VIRTIO_NET_F_OUT_NET_HEADER, VIRTIO_NET_F_IPSEC),
    since: '1.4',
  },
});

/** Header lengths that occur. */
export type VirtioNetHdrLength = 10 | 12 | 20 | 24 | 32;

/**
 * Header length for a negotiated feature set; the same on transmit and
 * receive (`net.tx.driver.1`, `net.rxbuf.driver.4`, `net.op.legacy.1.device`).
 *
 * | negotiated | length |
 * |---|---|
 * | OUT_NET_HEADER or IPSEC | 32 |
 * | HOST_ or GUEST_UDP_TUNNEL_GSO | 24 |
 * | HASH_REPORT | 20 |
 * | VERSION_1, or legacy with MRG_RXBUF | 12 |
 * | legacy without MRG_RXBUF | 10 |
 *
 * Decision on summary.md defect 5: the size rule in 5.1.9.3.1 names only
 * HOST_UDP_TUNNEL_GSO for 24 bytes, but the struct definition makes
 * `outer_th_offset` / `inner_nh_offset` present with either HOST_ or
 * GUEST_UDP_TUNNEL_GSO, and receive-side tunnel GSO (`net.rx.device.0d`,
 * `net.rx.device.23`) needs those fields. So either feature gives 24.
 */
export function virtioNetHdrLength(features: FeatureSet): VirtioNetHdrLength {
  if (hasFeature(features, VIRTIO_NET_F_OUT_NET_HEADER) || hasFeature(features, VIRTIO_NET_F_IPSEC)) return 32;
  if (hasFeature(features, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO) || hasFeature(features, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO)) {
    return 24;
  }
  if (hasFeature(features, VIRTIO_NET_F_HASH_REPORT)) return 20;
  if (hasFeature(features, VIRTIO_F_VERSION_1) || hasFeature(features, VIRTIO_NET_F_MRG_RXBUF)) return 12;
  return 10;
}

/** `flags`: csum_start / csum_offset are valid; the checksum needs completing. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** `flags`, receive only: the device validated the checksum. */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** `flags`, receive only (RSC_EXT): csum_start / csum_offset hold RSC counts. */
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;
/** `flags` (1.4): outer UDP checksum offload for tunnel GSO. */
export const VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM = 8;
/** `flags` (1.4): the packet went through / needs IPsec processing. */
export const VIRTIO_NET_HDR_F_SECURITY = 16;
/** `flags` (1.4), receive: IPsec processing hit an error. */
export const VIRTIO_NET_HDR_F_SECURITY_ERR = 32;
/** `flags` (1.4), receive: the SA reached its soft lifetime limit. */
export const VIRTIO_NET_HDR_F_SECURITY_SA_SOFT_EXPIRY_WARN = 64;

/** `gso_type`: not a GSO packet. */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
/** `gso_type`: TCP over IPv4 segmentation (TSOv4). */
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
/** `gso_type`: UDP fragmentation (UFO, deprecated). */
export const VIRTIO_NET_HDR_GSO_UDP = 3;
/** `gso_type`: TCP over IPv6 segmentation (TSOv6). */
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
/** `gso_type`: UDP segmentation (USO). */
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
/** `gso_type` bit (1.4): UDP tunnel, inner IPv4. OR-ed with an inner type. */
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 = 0x20;
/** `gso_type` bit (1.4): UDP tunnel, inner IPv6. OR-ed with an inner type. */
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6 = 0x40;
/** Both tunnel bits (Linux `VIRTIO_NET_HDR_GSO_UDP_TUNNEL`); at most one may be set (`net.tx.driver.25`). */
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL = VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6;
/** `gso_type` bit: the TCP stream used ECN (CWR). OR-ed with an inner type. */
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

/** Which feature allows a header value in each direction; `null` = never allowed there. */
export interface HdrValueInfo {
  /** Spec name. */
  readonly name: string;
  /** Value (a flag bit, a gso_type value, or a gso_type bit). */
  readonly value: number;
  /** Features the driver needs to use it on transmit, or `null` if never on transmit. */
  readonly tx: Requirement | null;
  /** Features needed for the device to use it on receive, or `null` if never on receive. */
  readonly rx: Requirement | null;
  /** First revision with the value. */
  readonly since: SpecVersion;
}

function hv(name: string, value: number, tx: Requirement | null, rx: Requirement | null, since: SpecVersion = '1.2'): HdrValueInfo {
  return Object.freeze({ name, value, tx, rx, since });
}

/**
 * `flags` bits and their gates (`net.tx.driver.3`, `net.tx.driver.45`,
 * `net.rx.device.5`, `net.rx.device.30`, `net.tx.driver.22`, `net.rx.device.12`).
 */
export const VIRTIO_NET_HDR_FLAGS: readonly HdrValueInfo[] = Object.freeze([
  hv('VIRTIO_NET_HDR_F_NEEDS_CSUM', VIRTIO_NET_HDR_F_NEEDS_CSUM, feature(VIRTIO_NET_F_CSUM), feature(VIRTIO_NET_F_GUEST_CSUM)),
  hv('VIRTIO_NET_HDR_F_DATA_VALID', VIRTIO_NET_HDR_F_DATA_VALID, null, feature(VIRTIO_NET_F_GUEST_CSUM)),
  hv('VIRTIO_NET_HDR_F_RSC_INFO', VIRTIO_NET_HDR_F_RSC_INFO, null, feature(VIRTIO_NET_F_RSC_EXT)),
  hv(
    'VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM',
    VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
    feature(VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM),
    feature(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM),
    '1.4',
  ),
  hv('VIRTIO_NET_HDR_F_SECURITY', VIRTIO_NET_HDR_F_SECURITY, feature(VIRTIO_NET_F_IPSEC), feature(VIRTIO_NET_F_IPSEC), '1.4'),
  hv('VIRTIO_NET_HDR_F_SECURITY_ERR', VIRTIO_NET_HDR_F_SECURITY_ERR, null, feature(VIRTIO_NET_F_IPSEC), '1.4'),
  hv(
    'VIRTIO_NET_HDR_F_SECURITY_SA_SOFT_EXPIRY_WARN',
    VIRTIO_NET_HDR_F_SECURITY_SA_SOFT_EXPIRY_WARN,
    null,
    feature(VIRTIO_NET_F_IPSEC),
    '1.4',
  ),
]);

/**
 * `gso_type` values and bits and their gates (`net.tx.driver.6`..`17`,
 * `net.rx.device.7`..`11`, `net.rx.device.13`, `net.rx.device.14`).
 */
export const VIRTIO_NET_HDR_GSO_TYPES: readonly HdrValueInfo[] = Object.freeze([
  hv('VIRTIO_NET_HDR_GSO_NONE', VIRTIO_NET_HDR_GSO_NONE, ALWAYS, ALWAYS),
  hv('VIRTIO_NET_HDR_GSO_TCPV4', VIRTIO_NET_HDR_GSO_TCPV4, feature(VIRTIO_NET_F_HOST_TSO4), feature(VIRTIO_NET_F_GUEST_TSO4)),
  hv('VIRTIO_NET_HDR_GSO_UDP', VIRTIO_NET_HDR_GSO_UDP, feature(VIRTIO_NET_F_HOST_UFO), feature(VIRTIO_NET_F_GUEST_UFO)),
  hv('VIRTIO_NET_HDR_GSO_TCPV6', VIRTIO_NET_HDR_GSO_TCPV6, feature(VIRTIO_NET_F_HOST_TSO6), feature(VIRTIO_NET_F_GUEST_TSO6)),
  hv(
    'VIRTIO_NET_HDR_GSO_UDP_L4',
    VIRTIO_NET_HDR_GSO_UDP_L4,
    feature(VIRTIO_NET_F_HOST_USO),
    anyOf(VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_F_GUEST_USO6),
  ),
  hv(
    'VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4',
    VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
    feature(VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO),
    feature(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO),
    '1.4',
  ),
  hv(
    'VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6',
    VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6,
    feature(VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO),
    feature(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO),
    '1.4',
  ),
  hv('VIRTIO_NET_HDR_GSO_ECN', VIRTIO_NET_HDR_GSO_ECN, feature(VIRTIO_NET_F_HOST_ECN), feature(VIRTIO_NET_F_GUEST_ECN)),
]);

/** A `gso_type` byte taken apart into its inner type and OR-ed bits. */
export interface GsoTypeParts {
  /** The inner type: `gso_type` without the tunnel and ECN bits. */
  readonly base: number;
  /** The ECN bit is set. */
  readonly ecn: boolean;
  /** Which tunnel bits are set; `'both'` is always invalid (`net.tx.device.8`, `net.rx.driver.8`). */
  readonly tunnel: 'none' | 'ipv4' | 'ipv6' | 'both';
}

/** Splits a `gso_type` byte into inner type, ECN and tunnel bits. */
export function splitGsoType(gsoType: number): GsoTypeParts {
  const v = gsoType & 0xff;
  const t4 = (v & VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4) !== 0;
  const t6 = (v & VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6) !== 0;
  return {
    base: v & ~(VIRTIO_NET_HDR_GSO_UDP_TUNNEL | VIRTIO_NET_HDR_GSO_ECN),
    ecn: (v & VIRTIO_NET_HDR_GSO_ECN) !== 0,
    tunnel: t4 && t6 ? 'both' : t4 ? 'ipv4' : t6 ? 'ipv6' : 'none',
  };
}

/** Ethernet header length the receive sizing rules assume. */
export const VIRTIO_NET_ETH_HLEN = 14;
/** Largest non-GSO frame without MTU: 1500-byte payload + Ethernet header. */
export const VIRTIO_NET_RX_MAX_FRAME = 1514;
/** Largest GSO frame in 1.4: Ethernet 14 + IPv6 40 + 65535 payload. */
export const VIRTIO_NET_RX_MAX_GSO_FRAME = 65589;
/** Largest GSO frame as the 1.2 / 1.3 text sizes it (65562 - 12). */
export const VIRTIO_NET_RX_MAX_GSO_FRAME_1_2 = 65550;

/** Features that let the device deliver GSO packets to the driver. */
export const GUEST_GSO_FEATURES: readonly number[] = Object.freeze([
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_TSO6,
  VIRTIO_NET_F_GUEST_UFO,
  VIRTIO_NET_F_GUEST_USO4,
  VIRTIO_NET_F_GUEST_USO6,
]);

/** The smallest receive buffer the spec asks a driver to post, and how strongly. */
export interface ReceiveBufferMinimum {
  /** Bytes, header included. */
  readonly size: number;
  /** MUST with MRG_RXBUF, SHOULD otherwise. */
  readonly level: 'MUST' | 'SHOULD';
  /** The clause that asks for it. */
  readonly clause: string;
}

/**
 * Receive buffer sizing (5.1.9.3): with MRG_RXBUF each buffer is at least one
 * header (`net.rxbuf.driver.3`, MUST); otherwise each buffer should hold a
 * whole packet: header + 65589 with any guest GSO feature
 * (`net.rxbuf.driver.1`, 65601 / 65609 with HASH_REPORT), header + 1514
 * without (`net.rxbuf.driver.2`, 1526 / 1534). 1.2 and 1.3 size GSO packets at
 * 65550 + header (65562). With MTU negotiated a driver also MUST fit one
 * mtu-sized packet (`net.cfg.driver.8`); that depends on the config value and
 * is left to the caller.
 */
export function receiveBufferMinimum(features: FeatureSet, version: SpecVersion = '1.4'): ReceiveBufferMinimum {
  const hdr = virtioNetHdrLength(features);
  if (hasFeature(features, VIRTIO_NET_F_MRG_RXBUF)) return { size: hdr, level: 'MUST', clause: 'net.rxbuf.driver.3' };
  if (GUEST_GSO_FEATURES.some((bit) => hasFeature(features, bit))) {
    const frame = existsIn('1.4', version) ? VIRTIO_NET_RX_MAX_GSO_FRAME : VIRTIO_NET_RX_MAX_GSO_FRAME_1_2;
    return { size: frame + hdr, level: 'SHOULD', clause: 'net.rxbuf.driver.1' };
  }
  return { size: VIRTIO_NET_RX_MAX_FRAME + hdr, level: 'SHOULD', clause: 'net.rxbuf.driver.2' };
}
