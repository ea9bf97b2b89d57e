/**
 * Network device feature bits, virtio 1.4 section 5.1.3.
 *
 * Includes the legacy-only bits (GSO 6, GUEST_RSC4 41, GUEST_RSC6 42) and the
 * 1.3 / 1.4 additions. Bits 64..70 live in feature word 2 (`select` = 2).
 *
 * @module
 */

import type { SpecVersion } from '../version.js';

/** Bit 0: device handles packets with partial checksum (tx checksum offload). */
export const VIRTIO_NET_F_CSUM = 0;
/** Bit 1: driver handles packets with partial checksum (rx). */
export const VIRTIO_NET_F_GUEST_CSUM = 1;
/** Bit 2: control channel can reconfigure receive offloads. */
export const VIRTIO_NET_F_CTRL_GUEST_OFFLOADS = 2;
/** Bit 3: `mtu` config field is valid. */
export const VIRTIO_NET_F_MTU = 3;
/** Bit 5: `mac` config field is valid. */
export const VIRTIO_NET_F_MAC = 5;
/** Bit 6: legacy: any GSO type. Legacy interface only. */
export const VIRTIO_NET_F_GSO = 6;
/** Bit 7: driver can receive TSOv4. */
export const VIRTIO_NET_F_GUEST_TSO4 = 7;
/** Bit 8: driver can receive TSOv6. */
export const VIRTIO_NET_F_GUEST_TSO6 = 8;
/** Bit 9: driver can receive TSO with ECN. */
export const VIRTIO_NET_F_GUEST_ECN = 9;
/** Bit 10: driver can receive UFO. */
export const VIRTIO_NET_F_GUEST_UFO = 10;
/** Bit 11: device can receive TSOv4 (tx segmentation). */
export const VIRTIO_NET_F_HOST_TSO4 = 11;
/** Bit 12: device can receive TSOv6. */
export const VIRTIO_NET_F_HOST_TSO6 = 12;
/** Bit 13: device can receive TSO with ECN. */
export const VIRTIO_NET_F_HOST_ECN = 13;
/** Bit 14: device can receive UFO. */
export const VIRTIO_NET_F_HOST_UFO = 14;
/** Bit 15: driver can merge receive buffers (`num_buffers`). */
export const VIRTIO_NET_F_MRG_RXBUF = 15;
/** Bit 16: `status` config field is valid. */
export const VIRTIO_NET_F_STATUS = 16;
/** Bit 17: control virtqueue present. */
export const VIRTIO_NET_F_CTRL_VQ = 17;
/** Bit 18: RX mode (PROMISC/ALLMULTI) and MAC filter table. */
export const VIRTIO_NET_F_CTRL_RX = 18;
/** Bit 19: VLAN filtering. */
export const VIRTIO_NET_F_CTRL_VLAN = 19;
/** Bit 20: extra RX modes ALLUNI/NOMULTI/NOUNI/NOBCAST. Listed among the feature bits from 1.3, but already used by the 1.2 text. */
export const VIRTIO_NET_F_CTRL_RX_EXTRA = 20;
/** Bit 21: driver can send gratuitous packets. */
export const VIRTIO_NET_F_GUEST_ANNOUNCE = 21;
/** Bit 22: multiqueue with automatic receive steering. */
export const VIRTIO_NET_F_MQ = 22;
/** Bit 23: set MAC address through the control queue. */
export const VIRTIO_NET_F_CTRL_MAC_ADDR = 23;
/** Bit 41: legacy: device coalesces TCPv4 (Windows RSC). Legacy interface only. Shares bit 41 with VIRTIO_F_ADMIN_VQ (summary.md defect 3). */
export const VIRTIO_NET_F_GUEST_RSC4 = 41;
/** Bit 42: legacy: device coalesces TCPv6 (Windows RSC). Legacy interface only. */
export const VIRTIO_NET_F_GUEST_RSC6 = 42;
/** Bit 50: device statistics through the control queue. Since 1.4. */
export const VIRTIO_NET_F_DEVICE_STATS = 50;
/** Bit 51: inner-header hash for encapsulated packets. Since 1.3. */
export const VIRTIO_NET_F_HASH_TUNNEL = 51;
/** Bit 52: per-virtqueue notification coalescing. Since 1.3. */
export const VIRTIO_NET_F_VQ_NOTF_COAL = 52;
/** Bit 53: notification coalescing (all tx / all rx). Since 1.3. */
export const VIRTIO_NET_F_NOTF_COAL = 53;
/** Bit 54: driver can receive USOv4. Since 1.3. */
export const VIRTIO_NET_F_GUEST_USO4 = 54;
/** Bit 55: driver can receive USOv6. Since 1.3. */
export const VIRTIO_NET_F_GUEST_USO6 = 55;
/** Bit 56: device can receive USO (tx UDP segmentation). */
export const VIRTIO_NET_F_HOST_USO = 56;
/** Bit 57: per-packet hash report in the header. */
export const VIRTIO_NET_F_HASH_REPORT = 57;
/** Bit 59: driver supplies an exact `hdr_len`. */
export const VIRTIO_NET_F_GUEST_HDRLEN = 59;
/** Bit 60: receive-side scaling with Toeplitz hash. */
export const VIRTIO_NET_F_RSS = 60;
/** Bit 61: coalesced-segment and duplicate-ACK reporting. */
export const VIRTIO_NET_F_RSC_EXT = 61;
/** Bit 62: failover standby for a primary with the same MAC. */
export const VIRTIO_NET_F_STANDBY = 62;
/** Bit 63: `speed` and `duplex` config fields are valid. */
export const VIRTIO_NET_F_SPEED_DUPLEX = 63;
/** Bit 64: multiple RSS contexts. Since 1.4. */
export const VIRTIO_NET_F_RSS_CONTEXT = 64;
/** Bit 65: driver can receive GSO over UDP tunnels. Since 1.4. */
export const VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO = 65;
/** Bit 66: driver can receive UDP-tunnel GSO with outer checksum offload. Since 1.4. */
export const VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM = 66;
/** Bit 67: device can segment UDP-tunnel GSO packets. Since 1.4. */
export const VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO = 67;
/** Bit 68: device can segment UDP-tunnel GSO with outer checksum offload. Since 1.4. */
export const VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM = 68;
/** Bit 69: `outer_nh_offset` in the header. Since 1.4. */
export const VIRTIO_NET_F_OUT_NET_HEADER = 69;
/** Bit 70: inline IPsec offload; header grows to 32 bytes. Since 1.4. */
export const VIRTIO_NET_F_IPSEC = 70;

/** Metadata of one network feature bit. */
export interface NetFeatureInfo {
  /** Spec name, `VIRTIO_NET_F_…`. */
  readonly name: string;
  /** Bit number. */
  readonly bit: number;
  /** First revision that defines the bit (`'1.2'` for anything already in 1.2). */
  readonly since: SpecVersion;
  /** Only defined for the legacy interface (5.1.3.2). */
  readonly legacyOnly: boolean;
  /** One-line meaning. */
  readonly summary: string;
}

function info(name: string, bit: number, summary: string, since: SpecVersion = '1.2', legacyOnly = false): NetFeatureInfo {
  return Object.freeze({ name, bit, since, legacyOnly, summary });
}

/** Every network feature bit, ascending. */
export const NET_FEATURES: readonly NetFeatureInfo[] = Object.freeze([
  info('VIRTIO_NET_F_CSUM', VIRTIO_NET_F_CSUM, 'device handles packets with partial checksum (tx checksum offload)'),
  info('VIRTIO_NET_F_GUEST_CSUM', VIRTIO_NET_F_GUEST_CSUM, 'driver handles packets with partial checksum (rx)'),
  info('VIRTIO_NET_F_CTRL_GUEST_OFFLOADS', VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, 'control channel can reconfigure receive offloads'),
  info('VIRTIO_NET_F_MTU', VIRTIO_NET_F_MTU, 'mtu config field is valid'),
  info('VIRTIO_NET_F_MAC', VIRTIO_NET_F_MAC, 'mac config field is valid'),
  info('VIRTIO_NET_F_GSO', VIRTIO_NET_F_GSO, 'legacy: any GSO type', '1.2', true),
  info('VIRTIO_NET_F_GUEST_TSO4', VIRTIO_NET_F_GUEST_TSO4, 'driver can receive TSOv4'),
  info('VIRTIO_NET_F_GUEST_TSO6', VIRTIO_NET_F_GUEST_TSO6, 'driver can receive TSOv6'),
  info('VIRTIO_NET_F_GUEST_ECN', VIRTIO_NET_F_GUEST_ECN, 'driver can receive TSO with ECN'),
  info('VIRTIO_NET_F_GUEST_UFO', VIRTIO_NET_F_GUEST_UFO, 'driver can receive UFO'),
  info('VIRTIO_NET_F_HOST_TSO4', VIRTIO_NET_F_HOST_TSO4, 'device can receive TSOv4 (tx segmentation)'),
  info('VIRTIO_NET_F_HOST_TSO6', VIRTIO_NET_F_HOST_TSO6, 'device can receive TSOv6'),
  info('VIRTIO_NET_F_HOST_ECN', VIRTIO_NET_F_HOST_ECN, 'device can receive TSO with ECN'),
  info('VIRTIO_NET_F_HOST_UFO', VIRTIO_NET_F_HOST_UFO, 'device can receive UFO'),
  info('VIRTIO_NET_F_MRG_RXBUF', VIRTIO_NET_F_MRG_RXBUF, 'driver can merge receive buffers (num_buffers)'),
  info('VIRTIO_NET_F_STATUS', VIRTIO_NET_F_STATUS, 'status config field is valid'),
  info('VIRTIO_NET_F_CTRL_VQ', VIRTIO_NET_F_CTRL_VQ, 'control virtqueue present'),
  info('VIRTIO_NET_F_CTRL_RX', VIRTIO_NET_F_CTRL_RX, 'RX mode (PROMISC/ALLMULTI) and MAC filter table'),
  info('VIRTIO_NET_F_CTRL_VLAN', VIRTIO_NET_F_CTRL_VLAN, 'VLAN filtering'),
  info('VIRTIO_NET_F_CTRL_RX_EXTRA', VIRTIO_NET_F_CTRL_RX_EXTRA, 'extra RX modes ALLUNI/NOMULTI/NOUNI/NOBCAST'),
  info('VIRTIO_NET_F_GUEST_ANNOUNCE', VIRTIO_NET_F_GUEST_ANNOUNCE, 'driver can send gratuitous packets'),
  info('VIRTIO_NET_F_MQ', VIRTIO_NET_F_MQ, 'multiqueue with automatic receive steering'),
  info('VIRTIO_NET_F_CTRL_MAC_ADDR', VIRTIO_NET_F_CTRL_MAC_ADDR, 'set MAC address through the control queue'),
  info('VIRTIO_NET_F_GUEST_RSC4', VIRTIO_NET_F_GUEST_RSC4, 'legacy: device coalesces TCPv4 (Windows RSC)', '1.2', true),
  info('VIRTIO_NET_F_GUEST_RSC6', VIRTIO_NET_F_GUEST_RSC6, 'legacy: device coalesces TCPv6 (Windows RSC)', '1.2', true),
  info('VIRTIO_NET_F_DEVICE_STATS', VIRTIO_NET_F_DEVICE_STATS, 'device statistics through the control queue', '1.4'),
  info('VIRTIO_NET_F_HASH_TUNNEL', VIRTIO_NET_F_HASH_TUNNEL, 'inner-header hash for encapsulated packets', '1.3'),
  info('VIRTIO_NET_F_VQ_NOTF_COAL', VIRTIO_NET_F_VQ_NOTF_COAL, 'per-virtqueue notification coalescing', '1.3'),
  info('VIRTIO_NET_F_NOTF_COAL', VIRTIO_NET_F_NOTF_COAL, 'notification coalescing (all tx / all rx)', '1.3'),
  info('VIRTIO_NET_F_GUEST_USO4', VIRTIO_NET_F_GUEST_USO4, 'driver can receive USOv4', '1.3'),
  info('VIRTIO_NET_F_GUEST_USO6', VIRTIO_NET_F_GUEST_USO6, 'driver can receive USOv6', '1.3'),
  info('VIRTIO_NET_F_HOST_USO', VIRTIO_NET_F_HOST_USO, 'device can receive USO (tx UDP segmentation)'),
  info('VIRTIO_NET_F_HASH_REPORT', VIRTIO_NET_F_HASH_REPORT, 'per-packet hash report in the header'),
  info('VIRTIO_NET_F_GUEST_HDRLEN', VIRTIO_NET_F_GUEST_HDRLEN, 'driver supplies an exact hdr_len'),
  info('VIRTIO_NET_F_RSS', VIRTIO_NET_F_RSS, 'receive-side scaling with Toeplitz hash'),
  info('VIRTIO_NET_F_RSC_EXT', VIRTIO_NET_F_RSC_EXT, 'coalesced-segment and duplicate-ACK reporting'),
  info('VIRTIO_NET_F_STANDBY', VIRTIO_NET_F_STANDBY, 'failover standby for a primary with the same MAC'),
  info('VIRTIO_NET_F_SPEED_DUPLEX', VIRTIO_NET_F_SPEED_DUPLEX, 'speed and duplex config fields are valid'),
  info('VIRTIO_NET_F_RSS_CONTEXT', VIRTIO_NET_F_RSS_CONTEXT, 'multiple RSS contexts', '1.4'),
  info('VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO', VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO, 'driver can receive GSO over UDP tunnels', '1.4'),
  info('VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM', VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM, 'driver can receive UDP-tunnel GSO with outer checksum offload', '1.4'),
  info('VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO', VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO, 'device can segment UDP-tunnel GSO packets', '1.4'),
  info('VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM', VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM, 'device can segment UDP-tunnel GSO with outer checksum offload', '1.4'),
  info('VIRTIO_NET_F_OUT_NET_HEADER', VIRTIO_NET_F_OUT_NET_HEADER, 'outer_nh_offset in the header', '1.4'),
  info('VIRTIO_NET_F_IPSEC', VIRTIO_NET_F_IPSEC, 'inline IPsec offload; header grows to 32 bytes', '1.4'),
]);
