/**
 * An independent Toeplitz for tests: key and input as strings of '0'/'1',
 * the hash as the XOR of the 32-bit key window at every set input bit, in
 * BigInt. Shares no code or representation with toeplitz.ts. Test support
 * only.
 *
 * @module
 */

/** Toeplitz hash of `input` under `key`, computed bit by bit. */
export function toeplitzBits(key: Uint8Array, input: Uint8Array): number {
  const bits = (b: Uint8Array): string => Array.from(b, (x) => x.toString(2).padStart(8, '0')).join('');
  const k = bits(key);
  const d = bits(input);
  let r = 0n;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === '1') r ^= BigInt(`0b${k.slice(i, i + 32).padEnd(32, '0')}`);
  }
  return Number(r);
}
