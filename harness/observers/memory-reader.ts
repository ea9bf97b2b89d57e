/**
 * The observers' own view of guest memory: a four-method reader that the
 * ring observers use instead of the reference engine's memory, so a bug in
 * the engine cannot hide from them, and that a QEMU adapter can implement
 * over qtest `readb`/`readw`/`readl`/`read` commands.
 *
 * Every multi-byte read is little-endian (virtio 1.x rings; the legacy
 * guest-native byte order of `split.legacy.any.2.device` is not modelled).
 *
 * @module
 */

/**
 * Read-only access to guest memory, the whole contract an observer needs.
 *
 * Addresses are guest-physical byte addresses as plain numbers. Callers
 * check {@link MemoryReader.contains} before reading an address that came
 * from the other side (a descriptor's `addr`, an indirect table); the ring
 * areas themselves are checked once when an observer is built.
 */
export interface MemoryReader {
  /** Whether every byte of `[addr, addr + length)` can be read. */
  contains(addr: number, length: number): boolean;
  /** The byte at `addr`. */
  read8(addr: number): number;
  /** The little-endian u16 at `addr`. */
  read16(addr: number): number;
  /** The little-endian u32 at `addr`, as an unsigned number. */
  read32(addr: number): number;
  /**
   * `length` bytes from `addr`. The result may alias guest memory (the
   * Uint8Array reader returns a view), so copy it before keeping it.
   */
  readBytes(addr: number, length: number): Uint8Array;
}

/**
 * A {@link MemoryReader} over a `Uint8Array` holding guest memory from
 * guest-physical address `base` on: the form the reference guest memory
 * (`GuestMemory.u8`) and the unit tests hand to the observers.
 */
export class ByteMemoryReader implements MemoryReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #base: number;

  /**
   * @param bytes - guest memory; the reader sees later writes to it.
   * @param base - guest-physical address of `bytes[0]`.
   *   @default 0
   */
  constructor(bytes: Uint8Array, base = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#base = base;
  }

  contains(addr: number, length: number): boolean {
    const off = addr - this.#base;
    return (
      Number.isInteger(off) && Number.isInteger(length) && off >= 0 && length >= 0 && off + length <= this.#bytes.length
    );
  }

  read8(addr: number): number {
    return this.#view.getUint8(addr - this.#base);
  }

  read16(addr: number): number {
    return this.#view.getUint16(addr - this.#base, true);
  }

  read32(addr: number): number {
    return this.#view.getUint32(addr - this.#base, true);
  }

  readBytes(addr: number, length: number): Uint8Array {
    const off = addr - this.#base;
    if (off < 0 || off + length > this.#bytes.length) {
      throw new RangeError(`read of ${length} bytes at 0x${addr.toString(16)} is outside guest memory`);
    }
    return this.#bytes.subarray(off, off + length);
  }
}

/** 2^32 as a number, for assembling le64 values from two u32 halves. */
const TWO_POW_32 = 4294967296;

/**
 * The le64 at `addr` as a number, or -1 when it is 2^53 or more (no guest
 * memory reaches that far, so such an address is simply outside memory).
 * Reads two u32 halves: no BigInt on the observers' path.
 */
export function readU64(reader: MemoryReader, addr: number): number {
  const lo = reader.read32(addr);
  const hi = reader.read32(addr + 4);
  return hi > 0x1fffff ? -1 : hi * TWO_POW_32 + lo;
}

/** FNV-1a offset basis: the digest of zero bytes. */
export const DIGEST_SEED = 0x811c9dc5;

/**
 * Folds `length` bytes at `addr` into a 32-bit FNV-1a digest `seed`.
 *
 * Observers keep digests, not copies, of memory the other side must not
 * change (read-only buffers, a published chain's descriptors); a digest
 * collision can hide a change but never invents one.
 */
export function digestRange(reader: MemoryReader, addr: number, length: number, seed: number = DIGEST_SEED): number {
  let h = seed | 0;
  if (length <= 0) return h;
  const bytes = reader.readBytes(addr, length);
  for (let i = 0; i < bytes.length; i++) {
    h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  }
  return h;
}
