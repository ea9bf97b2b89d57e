/**
 * Ethernet MAC addresses as the receive filter and the control queue see
 * them: 6 bytes on the wire, a 48-bit number in tables (exact in a double,
 * so table lookups are a `Set<number>` probe with no allocation), and a
 * colon-hex string for people.
 *
 * @module
 */

/** Size of a MAC address in bytes (`ETH_ALEN`). */
export const MAC_LENGTH = 6;

/** ff:ff:ff:ff:ff:ff as a 48-bit number. */
export const BROADCAST_MAC = 0xffff_ffff_ffff;

/**
 * The 6 bytes at `offset` of `bytes` as a 48-bit number (first byte most
 * significant), or -1 when fewer than 6 bytes are there.
 */
export function macToNumber(bytes: Uint8Array, offset = 0): number {
  if (offset < 0 || offset + MAC_LENGTH > bytes.length) return -1;
  const hi = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
  const lo =
    (((bytes[offset + 2] as number) << 24) |
      ((bytes[offset + 3] as number) << 16) |
      ((bytes[offset + 4] as number) << 8) |
      (bytes[offset + 5] as number)) >>>
    0;
  return hi * 0x1_0000_0000 + lo;
}

/** The 6 bytes of a 48-bit MAC number. */
export function macFromNumber(mac: number): Uint8Array {
  const out = new Uint8Array(MAC_LENGTH);
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  out[0] = hi >>> 8;
  out[1] = hi;
  out[2] = lo >>> 24;
  out[3] = lo >>> 16;
  out[4] = lo >>> 8;
  out[5] = lo;
  return out;
}

/** `aa:bb:cc:dd:ee:ff` (lower case) for a MAC number. */
export function formatMac(mac: number): string {
  return Array.from(macFromNumber(mac), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** True when the group bit (bit 0 of the first byte) is set: multicast or broadcast. */
export function isGroupMac(mac: number): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** Destination classes the receive filter tells apart. */
export type MacClass = 'unicast' | 'multicast' | 'broadcast';

/** The class of a destination MAC number. */
export function macClass(mac: number): MacClass {
  if (mac === BROADCAST_MAC) return 'broadcast';
  return isGroupMac(mac) ? 'multicast' : 'unicast';
}
