/**
 * Ethernet frames for data-path scenarios: addressed to the device, to broadcast, or elsewhere,
 * with an EtherType no device interprets (0x88B5, IEEE local experimental) so that nothing but the
 * addresses can influence what a device does with them.
 *
 * @module
 */

import fc from 'fast-check';

/** The broadcast address. */
export const BROADCAST: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** Source address of every generated frame: locally administered unicast. */
export const PEER_MAC: Uint8Array = Uint8Array.of(0x02, 0x00, 0x5e, 0x10, 0x00, 0x01);
/** EtherType of generated frames (IEEE 802 local experimental). */
export const EXPERIMENTAL_ETHERTYPE = 0x88b5;
/** Smallest frame generated: the Ethernet minimum without FCS. */
export const MIN_FRAME = 60;
/** Largest frame without MTU or GSO: 1500 bytes of payload and a 14-byte header. */
export const MAX_FRAME = 1514;

/** A frame to `dest` of `length` bytes (at least 14), payload from `payload` repeated. */
export function ethernetFrame(dest: Uint8Array, length: number, payload: Uint8Array = Uint8Array.of(0)): Uint8Array {
  const frame = new Uint8Array(Math.max(14, length));
  frame.set(dest.subarray(0, 6), 0);
  frame.set(PEER_MAC, 6);
  frame[12] = EXPERIMENTAL_ETHERTYPE >>> 8;
  frame[13] = EXPERIMENTAL_ETHERTYPE & 0xff;
  for (let i = 14; i < frame.length; i++) frame[i] = payload.length === 0 ? 0 : (payload[(i - 14) % payload.length] as number);
  return frame;
}

/** Frames to `dest` of `minLength`..`maxLength` bytes with arbitrary payload. */
export function frameTo(dest: Uint8Array, minLength = MIN_FRAME, maxLength = MAX_FRAME): fc.Arbitrary<Uint8Array> {
  return fc
    .record({ length: fc.integer({ min: minLength, max: maxLength }), payload: fc.uint8Array({ minLength: 1, maxLength: 64 }) })
    .map(({ length, payload }) => ethernetFrame(dest, length, payload));
}

/** Unicast addresses other than `own` (locally administered, group bit clear). */
export function otherUnicast(own: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .uint8Array({ minLength: 6, maxLength: 6 })
    .map((a) => {
      const mac = a.slice();
      mac[0] = ((mac[0] as number) & 0xfc) | 0x02;
      return mac;
    })
    .filter((mac) => !sameMac(mac, own));
}

/** Multicast addresses other than broadcast. */
export function multicast(): fc.Arbitrary<Uint8Array> {
  return fc
    .uint8Array({ minLength: 6, maxLength: 6 })
    .map((a) => {
      const mac = a.slice();
      mac[0] = (mac[0] as number) | 0x01;
      return mac;
    })
    .filter((mac) => !sameMac(mac, BROADCAST));
}

/** True when the first six bytes of `a` and `b` agree. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: Uint8Array): string {
  return [...mac.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Where two byte strings first differ, in words, or null when they are equal. */
export function firstDifference(got: Uint8Array, want: Uint8Array): string | null {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) return `byte ${i} is 0x${(got[i] as number).toString(16)}, not 0x${(want[i] as number).toString(16)}`;
  }
  if (got.length !== want.length) return `${got.length} bytes instead of ${want.length}`;
  return null;
}
