/**
 * A descriptor chain popped by the device side, and the pool that recycles
 * chains so that popping does not allocate once the pool has warmed up.
 *
 * @module
 */

import type { GuestMemory } from '../memory/guest-memory.js';

/**
 * One available buffer as the device sees it after validation: its
 * segments in ring order, readable ones first (`framing.driver.1`).
 *
 * Segments `0 .. readableCount−1` are device-readable, `readableCount ..
 * count−1` device-writable; `addr[i]`/`len[i]` describe segment `i`.
 * Every segment lies inside guest memory and has len > 0.
 *
 * A chain belongs to the queue that popped it until it is pushed back; the
 * object is then reused for a later pop. Several chains may be held at once
 * (up to the queue size).
 */
export class DeviceChain {
  readonly kind = 'chain' as const;
  /** Split: head descriptor index. Packed: buffer id (from the last descriptor, `packed.chain.driver.1`). */
  id = 0;
  /** Split: the available-ring index it was taken from (u16). Packed: ring slot of its first descriptor. */
  slot = 0;
  /** Descriptors it occupies in the descriptor table or ring (an indirect table counts as 1). */
  ringDescs = 0;
  /** An indirect table held (some of) its segments. */
  indirect = false;
  /** Number of segments. */
  count = 0;
  /** Number of device-readable segments (they come first). */
  readableCount = 0;
  /** Sum of the readable segment lengths. */
  readableBytes = 0;
  /** Sum of the writable segment lengths. */
  writableBytes = 0;
  // Fields set in the constructor are `declare`d (not emitted as class fields), so V8 records their
  // types from the first store and typed-array accesses on the hot path need no extra map checks.
  /** Segment addresses (guest addresses below 2^32). */
  declare addr: Uint32Array;
  /** Segment lengths. */
  declare len: Uint32Array;
  /** @internal The queue this chain object belongs to (fixed for its lifetime). */
  declare readonly queue: object;
  /** @internal Popped and not yet pushed back. */
  held = false;
  /** @internal Pop sequence number, for IN_ORDER checks. */
  seq = 0;

  /** @internal Chains are made by the device queues. */
  constructor(queue: object, capacity = 4) {
    this.queue = queue;
    this.addr = new Uint32Array(capacity);
    this.len = new Uint32Array(capacity);
  }

  /** Number of device-writable segments. */
  get writableCount(): number {
    return this.count - this.readableCount;
  }

  /** @internal Empties the chain before a pop fills it. */
  clear(): void {
    this.count = 0;
    this.readableCount = 0;
    this.readableBytes = 0;
    this.writableBytes = 0;
    this.indirect = false;
  }

  /** @internal Records the totals of a direct walk of `count` descriptors. */
  finish(count: number, readable: number, readableBytes: number, writableBytes: number): void {
    this.count = count;
    this.readableCount = readable;
    this.readableBytes = readableBytes;
    this.writableBytes = writableBytes;
    this.ringDescs = count;
    this.indirect = false;
  }

  /** @internal Appends a segment; the caller has checked the readable-before-writable order. */
  append(addr: number, len: number, writable: boolean): void {
    const n = this.count;
    if (n === this.addr.length) this.grow();
    this.addr[n] = addr;
    this.len[n] = len;
    this.count = n + 1;
    if (writable) {
      this.writableBytes += len;
    } else {
      this.readableCount = n + 1;
      this.readableBytes += len;
    }
  }

  /** @internal Doubles the segment capacity, keeping the segments. */
  grow(): void {
    const addr = new Uint32Array(this.addr.length * 2);
    const len = new Uint32Array(this.addr.length * 2);
    addr.set(this.addr);
    len.set(this.len);
    this.addr = addr;
    this.len = len;
  }
}

/**
 * Copies the chain's readable bytes, starting `offset` bytes into them, into
 * `dst`. Returns the number of bytes copied (less than `dst.length` when the
 * readable part is shorter).
 */
export function readChain(mem: GuestMemory, chain: DeviceChain, dst: Uint8Array, offset = 0): number {
  let skip = offset;
  let done = 0;
  for (let i = 0; i < chain.readableCount && done < dst.length; i++) {
    const len = chain.len[i] as number;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const n = Math.min(len - skip, dst.length - done);
    const start = (chain.addr[i] as number) + skip;
    dst.set(mem.u8.subarray(start, start + n), done);
    done += n;
    skip = 0;
  }
  return done;
}

/**
 * Copies `src` into the chain's writable segments, starting `offset` bytes
 * into them. Returns the number of bytes written (less than `src.length`
 * when the writable part is too short). Never writes a readable segment
 * (`split.desc.device.1`, `packed.desc.device.1`).
 */
export function writeChain(mem: GuestMemory, chain: DeviceChain, src: Uint8Array, offset = 0): number {
  let skip = offset;
  let done = 0;
  for (let i = chain.readableCount; i < chain.count && done < src.length; i++) {
    const len = chain.len[i] as number;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const n = Math.min(len - skip, src.length - done);
    mem.u8.set(src.subarray(done, done + n), (chain.addr[i] as number) + skip);
    done += n;
    skip = 0;
  }
  return done;
}
