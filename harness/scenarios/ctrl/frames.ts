/**
 * Ethernet frames the ctrl scenarios inject: built here from the IEEE 802.3 / 802.1Q / IPv4
 * layouts, independently of the reference device's own test frames, so a filtering or steering
 * check never judges the device with the device's own helpers.
 *
 * @module
 */

/** Length of a MAC address. */
export const MAC_LENGTH = 6;
/** EtherType of an 802.1Q tag. */
export const ETH_P_8021Q = 0x8100;
/** EtherType of IPv4. */
export const ETH_P_IP = 0x0800;
/** The broadcast address. */
export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** Source address of every injected frame: locally administered, unicast, never a filter target. */
export const PEER_MAC: Uint8Array = Uint8Array.of(0x02, 0xee, 0xee, 0xee, 0xee, 0x01);

/** Destination class of a frame (IEEE 802: the I/G bit is bit 0 of the first byte). */
export type MacClass = 'unicast' | 'multicast' | 'broadcast';

/** The class of `mac`. */
export function macClass(mac: Uint8Array): MacClass {
  if (mac.every((b) => b === 0xff)) return 'broadcast';
  return ((mac[0] as number) & 1) === 1 ? 'multicast' : 'unicast';
}

/** `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, MAC_LENGTH), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Whether two MAC addresses are equal. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < MAC_LENGTH; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What to put in an Ethernet frame. */
export interface EthernetSpec {
  readonly dst: Uint8Array;
  readonly src?: Uint8Array;
  /** 802.1Q VLAN id (0..4095) for a tagged frame; absent for untagged. */
  readonly vid?: number;
  readonly etherType: number;
  readonly payload: Uint8Array;
}

/** An Ethernet II frame, optionally with one 802.1Q tag (priority 0). No FCS: virtio carries none. */
export function ethernetFrame(spec: EthernetSpec): Uint8Array {
  const tag = spec.vid === undefined ? 0 : 4;
  const frame = new Uint8Array(14 + tag + spec.payload.length);
  frame.set(spec.dst.subarray(0, MAC_LENGTH), 0);
  frame.set((spec.src ?? PEER_MAC).subarray(0, MAC_LENGTH), 6);
  let at = 12;
  if (spec.vid !== undefined) {
    frame[at] = ETH_P_8021Q >>> 8;
    frame[at + 1] = ETH_P_8021Q & 0xff;
    frame[at + 2] = (spec.vid >>> 8) & 0x0f;
    frame[at + 3] = spec.vid & 0xff;
    at += 4;
  }
  frame[at] = spec.etherType >>> 8;
  frame[at + 1] = spec.etherType & 0xff;
  frame.set(spec.payload, at + 2);
  return frame;
}

/** A filler frame body of `length` bytes whose content names `seq`, so each frame is unique. */
export function fillerPayload(seq: number, length = 46): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (seq + i * 7) & 0xff;
  p[0] = (seq >>> 24) & 0xff;
  p[1] = (seq >>> 16) & 0xff;
  p[2] = (seq >>> 8) & 0xff;
  p[3] = seq & 0xff;
  return p;
}

/** One IPv4 flow: addresses as four octets, ports, and the transport protocol. */
export interface Ipv4Flow {
  readonly src: readonly [number, number, number, number];
  readonly dst: readonly [number, number, number, number];
  readonly protocol: 'tcp' | 'udp';
  readonly sport: number;
  readonly dport: number;
}

function internetChecksum(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += ((bytes[i] as number) << 8) | ((bytes[i + 1] as number) ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An IPv4 packet (20-byte header, valid header checksum) carrying a minimal TCP (20-byte header)
 * or UDP (8-byte header) segment with `data` after it. Transport checksums are left 0: devices
 * hash and steer on headers, and the receive path does not validate them.
 */
export function ipv4Packet(flow: Ipv4Flow, data: Uint8Array): Uint8Array {
  const l4 = flow.protocol === 'tcp' ? 20 : 8;
  const total = 20 + l4 + data.length;
  const p = new Uint8Array(total);
  p[0] = 0x45;
  p[2] = total >>> 8;
  p[3] = total & 0xff;
  p[6] = 0x40; // don't fragment: a fragment would carry no ports to hash
  p[8] = 64;
  p[9] = flow.protocol === 'tcp' ? 6 : 17;
  p.set(flow.src, 12);
  p.set(flow.dst, 16);
  const csum = internetChecksum(p, 0, 20);
  p[10] = csum >>> 8;
  p[11] = csum & 0xff;
  p[20] = flow.sport >>> 8;
  p[21] = flow.sport & 0xff;
  p[22] = flow.dport >>> 8;
  p[23] = flow.dport & 0xff;
  if (flow.protocol === 'tcp') {
    p[32] = 0x50; // data offset 5
    p[33] = 0x10; // ACK
    p[34] = 0xff;
    p[35] = 0xff;
  } else {
    p[24] = (8 + data.length) >>> 8;
    p[25] = (8 + data.length) & 0xff;
  }
  p.set(data, 20 + l4);
  return p;
}
