/**
 * The scenario's own model of the buffers in flight: what the driver added,
 * where each buffer is (available, held by the device, in a deferred
 * in-order batch, used, collected), and what each side must see next. It
 * is written from the ring's contract, not from the engine: buffers are
 * popped in the order they were made available, collected in the order
 * they were used, with the len the device reported (or, for the earlier
 * buffers of an in-order batch, their full writable length, 2.7.9 / 2.8.8).
 *
 * Typed arrays, reused across runs: the model allocates only when a run
 * adds more buffers than ever before.
 *
 * @module
 */

import type { DeviceChain } from '../../../reference-impl/virtqueue/index.js';
import { RING_SCENARIO_REGION_BYTES, RING_SCENARIO_SEGMENT_BYTES } from './ring-config.js';
import { segmentLength } from './ring-steps.js';

/** Token state: made available, not popped yet. */
export const TOKEN_AVAILABLE = 1;
/** Token state: popped, held by the device. */
export const TOKEN_HELD = 2;
/** Token state: used in a deferred IN_ORDER batch not yet published. */
export const TOKEN_DEFERRED = 3;
/** Token state: used (published), not collected yet. */
export const TOKEN_USED = 4;
/** Token state: collected by the driver. */
export const TOKEN_COLLECTED = 5;

/** Model of one queue's buffers; tokens are numbered 0, 1, 2, … in add order. */
export class RingModel {
  /** Queue size. */
  size = 0;
  /** Tokens added so far (the next token number). */
  added = 0;
  /** The next token the device must pop. */
  popCursor = 0;
  /** Free descriptors (split) or ring slots (packed) as the driver should count them. */
  free = 0;
  /** Buffers made available and not yet used (what an observer holds outstanding). */
  outstanding = 0;
  /** Buffers held by the device. */
  held = 0;
  /** Buffers added and not yet collected by the driver. */
  uncollected = 0;

  state = new Uint8Array(64);
  seed = new Int32Array(64);
  shape = new Int32Array(64);
  descs = new Uint16Array(64);
  region = new Int32Array(64);
  id = new Int32Array(64);
  writable = new Int32Array(64);
  readable = new Int32Array(64);
  /** The len the driver must report when it collects the token. */
  len = new Int32Array(64);

  /** Token holding each buffer id (split head / packed id) until collected, −1 when none. */
  idToken = new Int32Array(0);
  /** Used tokens in the order the driver must collect them (a ring of `size` entries). */
  usedFifo = new Int32Array(0);
  usedHead = 0;
  usedCount = 0;
  /** Tokens of the deferred in-order batch, in pop order. */
  deferred = new Int32Array(0);
  deferredCount = 0;
  /** Free buffer regions (a stack). */
  regions = new Int32Array(0);
  regionCount = 0;

  /** Starts a run on a queue of `size`. */
  reset(size: number): void {
    if (this.idToken.length !== size) {
      this.idToken = new Int32Array(size);
      this.usedFifo = new Int32Array(size);
      this.deferred = new Int32Array(size);
      this.regions = new Int32Array(size);
    }
    this.size = size;
    this.added = this.popCursor = 0;
    this.free = size;
    this.outstanding = this.held = this.uncollected = 0;
    this.usedHead = this.usedCount = this.deferredCount = 0;
    this.idToken.fill(-1);
    for (let r = 0; r < size; r++) this.regions[r] = size - 1 - r;
    this.regionCount = size;
  }

  /** A free buffer region, or −1 (never with a correct driver: at most `size` buffers are uncollected). */
  takeRegion(): number {
    return this.regionCount === 0 ? -1 : (this.regions[--this.regionCount] as number);
  }

  /** Records token `added` as made available; its byte totals follow from its seed and shape. */
  add(seed: number, shape: number, descs: number, region: number, id: number): number {
    const t = this.added++;
    const outs = shape & 0xff;
    let readable = 0;
    let writable = 0;
    for (let j = 0; j < outs + (shape >>> 8); j++) {
      if (j < outs) readable += segmentLength(seed, j);
      else writable += segmentLength(seed, j);
    }
    if (t === this.state.length) this.grow();
    this.state[t] = TOKEN_AVAILABLE;
    this.seed[t] = seed;
    this.shape[t] = shape;
    this.descs[t] = descs;
    this.region[t] = region;
    this.id[t] = id;
    this.writable[t] = writable;
    this.readable[t] = readable;
    this.len[t] = -1;
    if (id >= 0 && id < this.size) this.idToken[id] = t;
    this.free -= descs;
    this.outstanding++;
    this.uncollected++;
    return t;
  }

  /** The device popped the next token. */
  pop(t: number): void {
    this.state[t] = TOKEN_HELD;
    this.popCursor = t + 1;
    this.held++;
  }

  /** The device deferred `t` (IN_ORDER) with `len`. */
  defer(t: number, len: number): void {
    this.state[t] = TOKEN_DEFERRED;
    this.len[t] = len;
    this.deferred[this.deferredCount++] = t;
    this.held--;
  }

  /** The deferred batch was published: its last buffer reports its len, the others their writable length. Returns its size. */
  flushDeferred(): number {
    const n = this.deferredCount;
    for (let k = 0; k < n; k++) {
      const t = this.deferred[k] as number;
      this.used(t, k === n - 1 ? (this.len[t] as number) : (this.writable[t] as number));
    }
    this.deferredCount = 0;
    return n;
  }

  /** The device used held token `t` with `len` (after any deferred batch). */
  push(t: number, len: number): void {
    this.flushDeferred();
    this.held--;
    this.used(t, len);
  }

  private used(t: number, len: number): void {
    this.state[t] = TOKEN_USED;
    this.len[t] = len;
    this.usedFifo[(this.usedHead + this.usedCount) % this.size] = t;
    this.usedCount++;
    this.outstanding--;
  }

  /** The token the driver must collect next, or −1. */
  nextUsed(): number {
    return this.usedCount === 0 ? -1 : (this.usedFifo[this.usedHead] as number);
  }

  /** The driver collected the next used token. */
  collect(t: number): void {
    this.state[t] = TOKEN_COLLECTED;
    this.usedHead = (this.usedHead + 1) % this.size;
    this.usedCount--;
    this.uncollected--;
    this.free += this.descs[t] as number;
    const id = this.id[t] as number;
    if (id >= 0 && id < this.size && this.idToken[id] === t) this.idToken[id] = -1;
    this.regions[this.regionCount++] = this.region[t] as number;
  }

  /**
   * Why popped chain `c` is not token `t` as it was added (id, segments in
   * order with their addresses and lengths, readable count and totals,
   * descriptors used, indirect or not), or null when it is.
   */
  chainMismatch(c: DeviceChain, t: number, regionBase: number): string | null {
    const shape = this.shape[t] as number;
    const outs = shape & 0xff;
    const total = outs + (shape >>> 8);
    const seed = this.seed[t] as number;
    const base = regionBase + (this.region[t] as number) * RING_SCENARIO_REGION_BYTES;
    const descs = this.descs[t] as number;
    let ok = c.id === this.id[t] && c.count === total && c.readableCount === outs && c.ringDescs === descs;
    ok = ok && c.readableBytes === this.readable[t] && c.writableBytes === this.writable[t] && c.indirect === (descs === 1 && total > 1);
    for (let j = 0; ok && j < total; j++) ok = c.addr[j] === base + j * RING_SCENARIO_SEGMENT_BYTES && c.len[j] === segmentLength(seed, j);
    if (ok) return null;
    return `token ${t} popped as id ${c.id}, ${c.count} segments (${c.readableCount} readable), ${c.ringDescs} descs; added as id ${this.id[t]}, ${total} segments (${outs} readable), ${descs} descs`;
  }

  /** Why an observer's outstanding ids differ from the buffers the model holds outstanding, or null when they match. */
  outstandingMismatch(ids: readonly number[]): string | null {
    if (ids.length !== this.outstanding) return `observer holds ${ids.length} buffers outstanding, model ${this.outstanding}`;
    for (const id of ids) {
      const t = id < this.size ? (this.idToken[id] as number) : -1;
      const s = t < 0 ? 0 : (this.state[t] as number);
      if (s !== TOKEN_AVAILABLE && s !== TOKEN_HELD && s !== TOKEN_DEFERRED) return `observer holds id ${id} outstanding, the model does not`;
    }
    return null;
  }

  private grow(): void {
    const n = this.state.length * 2;
    const g = <A extends Uint8Array | Uint16Array | Int32Array>(a: A, make: (n: number) => A): A => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.state = g(this.state, (k) => new Uint8Array(k));
    this.seed = g(this.seed, (k) => new Int32Array(k));
    this.shape = g(this.shape, (k) => new Int32Array(k));
    this.descs = g(this.descs, (k) => new Uint16Array(k));
    this.region = g(this.region, (k) => new Int32Array(k));
    this.id = g(this.id, (k) => new Int32Array(k));
    this.writable = g(this.writable, (k) => new Int32Array(k));
    this.readable = g(this.readable, (k) => new Int32Array(k));
    this.len = g(this.len, (k) => new Int32Array(k));
  }
}
