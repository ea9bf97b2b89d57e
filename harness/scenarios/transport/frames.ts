/**
 * Frames and addresses transport scenarios push through a device: broadcast frames (every receive
 * filter passes them) that make the device use a receive buffer, and locally administered MAC
 * addresses for MAC_ADDR_SET, which makes it change its config.
 *
 * @module
 */

/** Ethernet header length. */
const ETH_HLEN = 14;

/** A broadcast frame of `length` bytes (≥ 14) with an experimental EtherType and a payload from `seed`. */
export function broadcastFrame(length: number, seed = 0): Uint8Array {
  if (length < ETH_HLEN) throw new RangeError(`a frame has at least ${ETH_HLEN} bytes`);
  const frame = new Uint8Array(length);
  frame.fill(0xff, 0, 6);
  frame.set([0x02, 0x00, 0x5e, 0x10, 0x00, 0x02], 6);
  frame[12] = 0x88;
  frame[13] = 0xb5;
  for (let i = ETH_HLEN; i < length; i++) frame[i] = (i + seed) & 0xff;
  return frame;
}

/** A locally administered unicast MAC address different from `not`. */
export function otherMac(not: Uint8Array, seed = 1): Uint8Array {
  const mac = Uint8Array.of(0x02, 0x16, 0x3e, 0x10, 0x20, seed & 0xff);
  if (mac.every((b, i) => b === not[i])) mac[5] = ((mac[5] as number) + 1) & 0xff;
  return mac;
}
