/**
 * Guest memory: one flat, little-endian address space over one ArrayBuffer.
 *
 * The one memory implementation of the project (ring-perf §3.4: a second
 * implementation seen by the same ring code makes it polymorphic and 50–80%
 * slower). Every access is bounds-checked; an access outside memory is a bug
 * in the caller and throws a `RangeError`. Code that handles addresses from
 * the other side (a driver's descriptor, a device's used entry) checks them
 * with {@link GuestMemory.contains} first and reports a typed error instead.
 *
 * 64-bit guest addresses are (lo, hi) pairs of u32 values, never BigInt.
 * Memory is always smaller than 4 GiB, so an address with `hi !== 0` is
 * outside it.
 *
 * @module
 */

/** Whether the host stores typed-array elements little-endian (all supported Node hosts do). */
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Largest guest memory this implementation handles: 4 GiB (addresses fit in the low u32). */
export const GUEST_MEMORY_MAX_SIZE = 2 ** 32;

/** Formats an address for error messages. */
function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * Flat guest memory with bounds-checked little-endian access.
 *
 * Aligned 16- and 32-bit accesses go through `Uint16Array`/`Uint32Array`
 * views (the fastest form measured in ring-perf §3.2); unaligned ones are
 * assembled from bytes. Ring engines that validated a ring area once may
 * index {@link u16}/{@link u32} directly.
 */
export class GuestMemory {
  /** Size in bytes. Valid addresses are 0 .. size−1. */
  readonly size: number;
  /** The backing buffer. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Byte view of the whole memory. */
  readonly u8: Uint8Array;
  /** Little-endian u16 view: element `i` is the le16 at byte address `2i`. */
  readonly u16: Uint16Array;
  /** Little-endian u32 view: element `i` is the le32 at byte address `4i`. */
  readonly u32: Uint32Array;

  /**
   * @param sizeOrBuffer - a size in bytes (zero-filled memory is allocated),
   *   or an existing buffer to wrap (shared with its other users).
   * @throws RangeError for a size outside 0..2^32 or on a big-endian host.
   */
  constructor(sizeOrBuffer: number | ArrayBuffer | SharedArrayBuffer) {
    if (!LITTLE_ENDIAN_HOST) throw new RangeError('GuestMemory needs a little-endian host');
    if (typeof sizeOrBuffer === 'number') {
      if (!Number.isInteger(sizeOrBuffer) || sizeOrBuffer < 0 || sizeOrBuffer > GUEST_MEMORY_MAX_SIZE) {
        throw new RangeError(`guest memory size ${sizeOrBuffer} is not an integer in 0..2^32`);
      }
      this.buffer = new ArrayBuffer(sizeOrBuffer);
    } else {
      if (sizeOrBuffer.byteLength > GUEST_MEMORY_MAX_SIZE) throw new RangeError('guest memory larger than 4 GiB');
      this.buffer = sizeOrBuffer;
    }
    this.size = this.buffer.byteLength;
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer, 0, this.size >>> 1);
    this.u32 = new Uint32Array(this.buffer, 0, this.size >>> 2);
  }

  /**
   * True when [addr, addr+len) lies inside memory. Both values must be
   * non-negative integers; the test never overflows (it compares against
   * `size − len`, and JS numbers are exact up to 2^53).
   */
  contains(addr: number, len: number): boolean {
    return (addr >>> 0) === addr && (len >>> 0) === len && addr <= this.size - len;
  }

  /** {@link contains} for a 64-bit address given as u32 halves: any `hi !== 0` is outside memory. */
  contains64(lo: number, hi: number, len: number): boolean {
    return hi === 0 && this.contains(lo, len);
  }

  /** Throws unless [addr, addr+len) lies inside memory. */
  private check(addr: number, len: number): void {
    if ((addr >>> 0) !== addr || (len >>> 0) !== len || addr > this.size - len) {
      throw new RangeError(`guest access of ${len} bytes at ${hex(addr)} outside memory of ${this.size} bytes`);
    }
  }

  /** Reads the byte at `addr`. */
  read8(addr: number): number {
    this.check(addr, 1);
    return this.u8[addr] as number;
  }

  /** Reads the le16 at `addr` (any alignment). */
  read16(addr: number): number {
    this.check(addr, 2);
    if ((addr & 1) === 0) return this.u16[addr >>> 1] as number;
    const b = this.u8;
    return (b[addr] as number) | ((b[addr + 1] as number) << 8);
  }

  /** Reads the le32 at `addr` (any alignment) as an unsigned number. */
  read32(addr: number): number {
    this.check(addr, 4);
    if ((addr & 3) === 0) return this.u32[addr >>> 2] as number;
    const b = this.u8;
    return (
      ((b[addr] as number) |
        ((b[addr + 1] as number) << 8) |
        ((b[addr + 2] as number) << 16) |
        ((b[addr + 3] as number) << 24)) >>>
      0
    );
  }

  /** Low u32 half of the le64 at `addr`. */
  read64Lo(addr: number): number {
    this.check(addr, 8);
    return this.read32(addr);
  }

  /** High u32 half of the le64 at `addr`. */
  read64Hi(addr: number): number {
    this.check(addr, 8);
    return this.read32(addr + 4);
  }

  /** Writes the low 8 bits of `value` at `addr`. */
  write8(addr: number, value: number): void {
    this.check(addr, 1);
    this.u8[addr] = value;
  }

  /** Writes the low 16 bits of `value` as le16 at `addr` (any alignment). */
  write16(addr: number, value: number): void {
    this.check(addr, 2);
    if ((addr & 1) === 0) {
      this.u16[addr >>> 1] = value;
      return;
    }
    this.u8[addr] = value;
    this.u8[addr + 1] = value >>> 8;
  }

  /** Writes the low 32 bits of `value` as le32 at `addr` (any alignment). */
  write32(addr: number, value: number): void {
    this.check(addr, 4);
    if ((addr & 3) === 0) {
      this.u32[addr >>> 2] = value;
      return;
    }
    const b = this.u8;
    b[addr] = value;
    b[addr + 1] = value >>> 8;
    b[addr + 2] = value >>> 16;
    b[addr + 3] = value >>> 24;
  }

  /** Writes the le64 made of u32 halves `lo` and `hi` at `addr`. */
  write64(addr: number, lo: number, hi: number): void {
    this.check(addr, 8);
    this.write32(addr, lo);
    this.write32(addr + 4, hi);
  }

  /**
   * A view (no copy) of [addr, addr+len). Writes through it change guest
   * memory; it stays valid for the life of the memory.
   */
  bytes(addr: number, len: number): Uint8Array {
    this.check(addr, len);
    return this.u8.subarray(addr, addr + len);
  }

  /** A copy of [addr, addr+len), detached from guest memory. */
  copyOut(addr: number, len: number): Uint8Array {
    this.check(addr, len);
    return this.u8.slice(addr, addr + len);
  }

  /** Copies [addr, addr+dst.length) into `dst`. */
  readInto(addr: number, dst: Uint8Array): void {
    this.check(addr, dst.length);
    dst.set(this.u8.subarray(addr, addr + dst.length));
  }

  /** Copies `src` into guest memory at `addr`. */
  writeBytes(addr: number, src: Uint8Array): void {
    this.check(addr, src.length);
    this.u8.set(src, addr);
  }

  /** Sets [addr, addr+len) to `value` (default 0). */
  fill(addr: number, len: number, value = 0): void {
    this.check(addr, len);
    this.u8.fill(value, addr, addr + len);
  }
}

/**
 * Bump allocator over a region of guest memory, for laying out rings,
 * indirect tables and buffers in tests and in the reference front end.
 * Allocations never overlap and are never freed individually.
 */
export class GuestAllocator {
  private cursor: number;

  /**
   * @param memory - the memory (only its size is used).
   * @param start - first address handed out. @default 0
   * @param end - end of the region (exclusive). @default memory.size
   */
  constructor(
    memory: { readonly size: number },
    readonly start = 0,
    readonly end = memory.size,
  ) {
    if (!(start >= 0 && start <= end && end <= memory.size)) {
      throw new RangeError(`allocator region ${hex(start)}..${hex(end)} is outside memory of ${memory.size} bytes`);
    }
    this.cursor = start;
  }

  /**
   * Returns the address of `size` fresh bytes aligned to `align` (a power
   * of 2).
   * @throws RangeError when the region is exhausted or `align` is not a power of 2.
   */
  alloc(size: number, align = 1): number {
    if (!(Number.isInteger(align) && align > 0 && (align & (align - 1)) === 0)) {
      throw new RangeError(`alignment ${align} is not a power of 2`);
    }
    if (!(Number.isInteger(size) && size >= 0)) throw new RangeError(`allocation size ${size} is not a non-negative integer`);
    const addr = Math.ceil(this.cursor / align) * align;
    if (addr + size > this.end) {
      throw new RangeError(`guest allocator exhausted: ${size} bytes at ${hex(addr)} pass ${hex(this.end)}`);
    }
    this.cursor = addr + size;
    return addr;
  }

  /** The next unallocated address (before alignment). */
  get next(): number {
    return this.cursor;
  }

  /** Bytes left in the region. */
  get remaining(): number {
    return this.end - this.cursor;
  }

  /** Forgets every allocation; the region is handed out again from `start`. */
  reset(): void {
    this.cursor = this.start;
  }
}
