/**
 * Hash types, hash report values and tunnel types for RSS and hash
 * reporting (virtio 1.4 sections 5.1.9.4.3 - 5.1.9.4.5).
 *
 * @module
 */

/** Hash over IPv4 source and destination addresses. */
export const VIRTIO_NET_RSS_HASH_TYPE_IPv4 = 1 << 0;
/** Hash over IPv4 addresses and TCP ports. */
export const VIRTIO_NET_RSS_HASH_TYPE_TCPv4 = 1 << 1;
/** Hash over IPv4 addresses and UDP ports. */
export const VIRTIO_NET_RSS_HASH_TYPE_UDPv4 = 1 << 2;
/** Hash over IPv6 source and destination addresses. */
export const VIRTIO_NET_RSS_HASH_TYPE_IPv6 = 1 << 3;
/** Hash over IPv6 addresses and TCP ports. */
export const VIRTIO_NET_RSS_HASH_TYPE_TCPv6 = 1 << 4;
/** Hash over IPv6 addresses and UDP ports. */
export const VIRTIO_NET_RSS_HASH_TYPE_UDPv6 = 1 << 5;
/** IPv6 with extension headers: home address / routing header type 2 address instead of source / destination. */
export const VIRTIO_NET_RSS_HASH_TYPE_IP_EX = 1 << 6;
/** As {@link VIRTIO_NET_RSS_HASH_TYPE_IP_EX}, plus TCP ports. */
export const VIRTIO_NET_RSS_HASH_TYPE_TCP_EX = 1 << 7;
/** As {@link VIRTIO_NET_RSS_HASH_TYPE_IP_EX}, plus UDP ports. */
export const VIRTIO_NET_RSS_HASH_TYPE_UDP_EX = 1 << 8;
/** Every defined hash type bit (0x1ff); other bits of `supported_hash_types` are undefined. */
export const VIRTIO_NET_RSS_HASH_TYPE_MASK = 0x1ff;

/** `hash_report`: no hash was computed (`net.hash.device.6`, `net.ctrl.hashcfg.any.2`). */
export const VIRTIO_NET_HASH_REPORT_NONE = 0;
/** `hash_report`: hashed as IPv4. */
export const VIRTIO_NET_HASH_REPORT_IPv4 = 1;
/** `hash_report`: hashed as TCPv4. */
export const VIRTIO_NET_HASH_REPORT_TCPv4 = 2;
/** `hash_report`: hashed as UDPv4. */
export const VIRTIO_NET_HASH_REPORT_UDPv4 = 3;
/** `hash_report`: hashed as IPv6. */
export const VIRTIO_NET_HASH_REPORT_IPv6 = 4;
/** `hash_report`: hashed as TCPv6. */
export const VIRTIO_NET_HASH_REPORT_TCPv6 = 5;
/** `hash_report`: hashed as UDPv6. */
export const VIRTIO_NET_HASH_REPORT_UDPv6 = 6;
/** `hash_report`: hashed as IPv6 with extension header addresses. */
export const VIRTIO_NET_HASH_REPORT_IPv6_EX = 7;
/** `hash_report`: hashed as TCPv6 with extension header addresses. */
export const VIRTIO_NET_HASH_REPORT_TCPv6_EX = 8;
/** `hash_report`: hashed as UDPv6 with extension header addresses. */
export const VIRTIO_NET_HASH_REPORT_UDPv6_EX = 9;

/** One hash type with its report value. */
export interface HashTypeInfo {
  /** Short name, e.g. `TCPv4`, `IP_EX`. */
  readonly name: string;
  /** The `VIRTIO_NET_RSS_HASH_TYPE_*` bit. */
  readonly type: number;
  /** The `VIRTIO_NET_HASH_REPORT_*` value a packet hashed this way reports. */
  readonly report: number;
}

/** The nine hash types, in bit order; type = 1 << (report - 1). */
export const HASH_TYPES: readonly HashTypeInfo[] = Object.freeze(
  (
    [
      ['IPv4', VIRTIO_NET_RSS_HASH_TYPE_IPv4, VIRTIO_NET_HASH_REPORT_IPv4],
      ['TCPv4', VIRTIO_NET_RSS_HASH_TYPE_TCPv4, VIRTIO_NET_HASH_REPORT_TCPv4],
      ['UDPv4', VIRTIO_NET_RSS_HASH_TYPE_UDPv4, VIRTIO_NET_HASH_REPORT_UDPv4],
      ['IPv6', VIRTIO_NET_RSS_HASH_TYPE_IPv6, VIRTIO_NET_HASH_REPORT_IPv6],
      ['TCPv6', VIRTIO_NET_RSS_HASH_TYPE_TCPv6, VIRTIO_NET_HASH_REPORT_TCPv6],
      ['UDPv6', VIRTIO_NET_RSS_HASH_TYPE_UDPv6, VIRTIO_NET_HASH_REPORT_UDPv6],
      ['IP_EX', VIRTIO_NET_RSS_HASH_TYPE_IP_EX, VIRTIO_NET_HASH_REPORT_IPv6_EX],
      ['TCP_EX', VIRTIO_NET_RSS_HASH_TYPE_TCP_EX, VIRTIO_NET_HASH_REPORT_TCPv6_EX],
      ['UDP_EX', VIRTIO_NET_RSS_HASH_TYPE_UDP_EX, VIRTIO_NET_HASH_REPORT_UDPv6_EX],
    ] as const
  ).map(([name, type, report]) => Object.freeze({ name, type, report })),
);

/**
 * The hash type bit behind a report value, or 0 for NONE and undefined
 * values. A device may only report a type the driver enabled.
 */
export function hashTypeForReport(report: number): number {
  return Number.isInteger(report) && report >= 1 && report <= 9 ? 1 << (report - 1) : 0;
}

/** Encapsulation GRE, RFC 2784. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2784 = 1 << 0;
/** Encapsulation GRE, RFC 2890 (keys and sequence numbers). */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_2890 = 1 << 1;
/** Encapsulation GRE, RFC 7676 (IPv6). */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_7676 = 1 << 2;
/** Encapsulation GRE in UDP. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_GRE_UDP = 1 << 3;
/** Encapsulation VXLAN. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN = 1 << 4;
/** Encapsulation VXLAN-GPE. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN_GPE = 1 << 5;
/** Encapsulation Geneve. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE = 1 << 6;
/** Encapsulation IP-in-IP. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_IPIP = 1 << 7;
/** Encapsulation NVGRE. */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_NVGRE = 1 << 8;
/**
 * Every defined tunnel type bit (0x1ff). The driver ignores other bits of
 * `supported_tunnel_types` (`net.ctrl.hashtun.driver.3`) and enables only a
 * subset of the supported ones (`net.ctrl.hashtun.driver.2`).
 */
export const VIRTIO_NET_HASH_TUNNEL_TYPE_MASK = 0x1ff;

/** Tunnel type names by bit, in bit order (1.3). */
export const HASH_TUNNEL_TYPES: readonly { readonly name: string; readonly bit: number }[] = Object.freeze(
  (['GRE_2784', 'GRE_2890', 'GRE_7676', 'GRE_UDP', 'VXLAN', 'VXLAN_GPE', 'GENEVE', 'IPIP', 'NVGRE'] as const).map((name, i) =>
    Object.freeze({ name, bit: 1 << i }),
  ),
);
