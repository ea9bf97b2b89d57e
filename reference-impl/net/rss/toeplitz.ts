/**
 * The Toeplitz hash used by RSS and hash reporting (virtio 1.4 5.1.9.4.3,
 * `net.hash.device.5`, `net.ctrl.rss.device.1`; the algorithm is the one
 * Microsoft's RSS specification defines, which virtio adopts by name).
 *
 * For every set bit `i` of the input (most significant bit of byte 0 first),
 * the 32 key bits starting at key bit `i` are XORed into the result. Key bits
 * past the end of the key count as 0, so a key shorter than `input + 4` bytes
 * still gives a defined value.
 *
 * Runs once per received frame: no allocation, int32 arithmetic only.
 *
 * @module
 */

/**
 * The 40-byte key of Microsoft's RSS verification suite; Linux and QEMU use
 * it as their default too. Frozen by convention: do not write into it.
 */
export const RSS_VERIFICATION_KEY: Uint8Array = Uint8Array.of(
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
);

/**
 * Toeplitz hash of `input[0 .. length)` under `key`, as an unsigned 32-bit
 * number. `length` defaults to the whole input.
 */
export function toeplitzHash(key: Uint8Array, input: Uint8Array, length: number = input.length): number {
  const keyLength = key.length;
  // `window` holds key bits [i, i + 32) for the current input bit i.
  let window = ((key[0] ?? 0) << 24) | ((key[1] ?? 0) << 16) | ((key[2] ?? 0) << 8) | (key[3] ?? 0);
  let result = 0;
  for (let byteIndex = 0; byteIndex < length; byteIndex++) {
    const b = input[byteIndex] as number;
    const next = byteIndex + 4 < keyLength ? (key[byteIndex + 4] as number) : 0;
    for (let bit = 7; bit >= 0; bit--) {
      if (((b >>> bit) & 1) !== 0) result ^= window;
      window = (window << 1) | ((next >>> bit) & 1);
    }
  }
  return result >>> 0;
}
