/**
 * The Internet checksum (RFC 1071) as the partial-checksum offload uses it:
 * the driver (or the wire) leaves the pseudo-header sum in the checksum
 * field, and whoever completes the checksum stores the complement of the
 * ones'-complement sum from `csum_start` to the end at `csum_start +
 * csum_offset` (`net.tx.driver.30`, `net.rx.device.20`).
 *
 * @module
 */

/** Ones'-complement sum of `bytes[start..end)` as 16-bit big-endian words, folded to 16 bits. */
export function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial | 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) sum += (bytes[i] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Completes a partial checksum in place. The caller has checked that
 * `csumStart + csumOffset + 2 <= frame.length` (bug D16); returns false
 * (and writes nothing) when it does not hold.
 */
export function completeChecksum(frame: Uint8Array, csumStart: number, csumOffset: number): boolean {
  const at = csumStart + csumOffset;
  if (at + 2 > frame.length) return false;
  const sum = onesComplementSum(frame, csumStart, frame.length);
  const csum = ~sum & 0xffff;
  frame[at] = csum >>> 8;
  frame[at + 1] = csum & 0xff;
  return true;
}

/**
 * True when the checksum stored in `frame` verifies: the ones'-complement
 * sum from `csumStart` to the end, plus the pseudo-header sum `pseudo`
 * (which a receiver computes itself), is 0xffff.
 */
export function checksumVerifies(frame: Uint8Array, csumStart: number, pseudo: number): boolean {
  return onesComplementSum(frame, csumStart, frame.length, pseudo) === 0xffff;
}
