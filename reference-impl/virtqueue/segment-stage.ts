/**
 * The driver's staging area for the segments of the next buffer: the
 * allocation-free way to describe a scatter-gather list, after Linux's
 * `virtqueue_add_sgs(out_sgs, in_sgs)`.
 *
 * @module
 */

/**
 * Up to `capacity` device-readable ("out") and device-writable ("in")
 * segments. Outs are always placed before ins in the chain, whatever order
 * they were staged in (`framing.driver.1`, `packed.sg.driver.3`).
 */
export class SegmentStage {
  // Fields set in the constructor are `declare`d (not emitted as class fields), so V8 records their
  // types from the first store and typed-array accesses on the hot path need no extra map checks.
  /** Addresses of the staged out segments. */
  declare readonly outAddr: Float64Array;
  /** Lengths of the staged out segments. */
  declare readonly outLen: Uint32Array;
  /** Addresses of the staged in segments. */
  declare readonly inAddr: Float64Array;
  /** Lengths of the staged in segments. */
  declare readonly inLen: Uint32Array;
  /** Number of staged out segments. */
  outCount = 0;
  /** Number of staged in segments. */
  inCount = 0;

  /** Most segments one buffer may have (the queue size). */
  declare readonly capacity: number;

  /** @param capacity - most segments one buffer may have (the queue size). */
  constructor(capacity: number) {
    this.capacity = capacity;
    this.outAddr = new Float64Array(capacity);
    this.outLen = new Uint32Array(capacity);
    this.inAddr = new Float64Array(capacity);
    this.inLen = new Uint32Array(capacity);
  }

  /**
   * Stages a device-readable segment. `addr` is a guest address below 2^53,
   * `len` a u32 (0 is accepted, so that faulty drivers can be modelled).
   * @throws RangeError when the buffer would exceed the queue size.
   */
  out(addr: number, len: number): void {
    if (this.outCount + this.inCount >= this.capacity) throw new RangeError('buffer has more segments than the queue size');
    this.outAddr[this.outCount] = addr;
    this.outLen[this.outCount] = len;
    this.outCount++;
  }

  /**
   * Stages a device-writable segment.
   * @throws RangeError when the buffer would exceed the queue size.
   */
  in(addr: number, len: number): void {
    if (this.outCount + this.inCount >= this.capacity) throw new RangeError('buffer has more segments than the queue size');
    this.inAddr[this.inCount] = addr;
    this.inLen[this.inCount] = len;
    this.inCount++;
  }

  /** Total staged segments. */
  get count(): number {
    return this.outCount + this.inCount;
  }

  /** Drops every staged segment. */
  clear(): void {
    this.outCount = 0;
    this.inCount = 0;
  }
}
