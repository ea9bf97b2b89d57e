/**
 * The compact step encoding of ring scenarios: one integer per step, decoded
 * by the runner without allocating (ring-perf §4 and §8(b): integer steps
 * and reused guest memory are what make ≥ 100 k scenario runs/s possible).
 *
 * A step is `code | a << 4 | b << 12 | c << 24` with `code` 0..15,
 * `a` 0..255, `b` 0..4095 and `c` 0..63, so every integer in 0..2^30−1 is a
 * step. The code picks the operation; several codes map to the same
 * operation to weight it (an add makes up to 4 buffers available, so adds
 * outrun the device and rings fill up).
 *
 * @module
 */

import type { SegmentStage } from '../../../reference-impl/virtqueue/index.js';
import { RING_SCENARIO_MAX_SEGMENTS, RING_SCENARIO_SEGMENT_BYTES } from './ring-config.js';

/** The operations a step can perform. */
export type RingOpName =
  | 'add'
  | 'kick'
  | 'reap'
  | 'callbacks'
  | 'pop'
  | 'push'
  | 'notify'
  | 'device-notifications'
  | 'service';

/**
 * - `add`: the driver adds 1 + (a & 3) buffers (shapes from a hash of the
 *   step), then ends its step (kick decision) when `c` is odd.
 * - `kick`: the driver ends its step: kick decision, kick, `afterDriverStep`.
 * - `reap`: the driver collects up to 1 + (a & 7) used buffers (all when a & 8).
 * - `callbacks`: a % 4 = 0 disable, 1 enable, 2 enable delayed, 3 nothing.
 * - `pop`: the device pops up to 1 + (a & 7) chains.
 * - `push`: the device uses 1 + (a & 3) held chains (which one from `b`,
 *   the oldest with IN_ORDER; deferred when IN_ORDER and a & 4), writing a
 *   len chosen by (c + k) & 3 for the k-th: 0 bytes, all writable bytes, a
 *   `b`-derived share, or half.
 * - `notify`: the device ends its step: notification decision, interrupt, `afterDeviceStep`.
 * - `device-notifications`: a odd enables available-buffer notifications, even disables them.
 * - `service`: the device pops everything, uses it in order, and ends its step (a batch).
 */
export const RING_OP_OF_CODE: readonly RingOpName[] = Object.freeze([
  'add', 'add', 'add', 'kick', 'reap', 'reap', 'callbacks', 'pop',
  'pop', 'push', 'push', 'push', 'notify', 'device-notifications', 'service', 'service',
]);

/** Op id of `add` (numeric ids keep the runner's switch monomorphic). */
export const OP_ADD = 0;
/** Op id of `kick`. */
export const OP_KICK = 1;
/** Op id of `reap`. */
export const OP_REAP = 2;
/** Op id of `callbacks`. */
export const OP_CALLBACKS = 3;
/** Op id of `pop`. */
export const OP_POP = 4;
/** Op id of `push`. */
export const OP_PUSH = 5;
/** Op id of `notify`. */
export const OP_NOTIFY = 6;
/** Op id of `device-notifications`. */
export const OP_DEVICE_NOTIFICATIONS = 7;
/** Op id of `service`. */
export const OP_SERVICE = 8;

const OP_ID: Readonly<Record<RingOpName, number>> = {
  add: OP_ADD,
  kick: OP_KICK,
  reap: OP_REAP,
  callbacks: OP_CALLBACKS,
  pop: OP_POP,
  push: OP_PUSH,
  notify: OP_NOTIFY,
  'device-notifications': OP_DEVICE_NOTIFICATIONS,
  service: OP_SERVICE,
};

/** Op id of each of the 16 codes. */
export const OP_BY_CODE: Uint8Array = Uint8Array.from(RING_OP_OF_CODE, (name) => OP_ID[name]);

/** Largest step value: every integer in 0..RING_STEP_MAX is a valid step. */
export const RING_STEP_MAX = 0x3fffffff;

/**
 * Encodes one step (for hand-written scenarios: mutant tests, benchmarks).
 * @throws RangeError when a field is out of range.
 */
export function encodeRingStep(op: RingOpName, a = 0, b = 0, c = 0): number {
  if (!(a >= 0 && a <= 255 && b >= 0 && b <= 4095 && c >= 0 && c <= 63)) throw new RangeError(`step fields out of range: ${a} ${b} ${c}`);
  return RING_OP_OF_CODE.indexOf(op) | (a << 4) | (b << 12) | (c << 24);
}

/** A 32-bit mix of `x` and `k` (murmur3 finaliser), for deriving buffer shapes from a step. */
export function mix32(x: number, k: number): number {
  let h = Math.imul(x ^ Math.imul(k + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * Segment counts of a buffer from its seed, as `outs | ins << 8`, with
 * 1 ≤ outs + ins ≤ min(size, RING_SCENARIO_MAX_SEGMENTS): mostly single
 * segments and header + data pairs, sometimes up to 6 segments, and one in
 * 16 a long chain (longer than an indirect table, so it goes direct).
 */
export function bufferShape(seed: number, size: number): number {
  const cap = size < RING_SCENARIO_MAX_SEGMENTS ? size : RING_SCENARIO_MAX_SEGMENTS;
  const kind = seed & 15;
  let outs: number;
  let ins: number;
  if (kind < 6) {
    outs = (seed >>> 4) & 1;
    ins = 1 - outs;
  } else if (kind < 12) {
    outs = ((seed >>> 4) & 0xff) % 3;
    ins = ((seed >>> 12) & 0xff) % 3;
  } else if (kind < 15) {
    outs = ((seed >>> 4) & 0xff) % 4;
    ins = ((seed >>> 12) & 0xff) % 4;
  } else {
    outs = ((seed >>> 4) & 0xff) % (cap + 1);
    ins = cap - outs;
  }
  if (outs + ins === 0) ins = 1;
  while (outs + ins > cap) {
    if (ins > outs) ins--;
    else outs--;
  }
  return outs | (ins << 8);
}

/** Length (1..RING_SCENARIO_SEGMENT_BYTES) of segment `j` of the buffer with this seed. */
export function segmentLength(seed: number, j: number): number {
  return 1 + (mix32(seed, j + 16) & (RING_SCENARIO_SEGMENT_BYTES - 1));
}

/**
 * Stages the segments of the buffer with this seed and shape in its region
 * at `base`: segment j at `base + j × RING_SCENARIO_SEGMENT_BYTES`, readable
 * ones first.
 */
export function stageBuffer(stage: SegmentStage, seed: number, shape: number, base: number): void {
  const outs = shape & 0xff;
  for (let j = 0; j < outs + (shape >>> 8); j++) {
    if (j < outs) stage.out(base + j * RING_SCENARIO_SEGMENT_BYTES, segmentLength(seed, j));
    else stage.in(base + j * RING_SCENARIO_SEGMENT_BYTES, segmentLength(seed, j));
  }
}

/**
 * An `add` step of `buffers` (1..4) buffers whose every shape passes
 * `accept(outs, ins)` on a queue of `size`, ending the driver step with a
 * kick decision when `kick`. Only `b` is searched: it feeds the shape hash
 * and nothing else of an add.
 * @throws RangeError when no `b` gives such shapes.
 */
export function encodeAddStep(buffers: number, kick: boolean, size: number, accept: (outs: number, ins: number) => boolean): number {
  for (let b = 0; b < 4096; b++) {
    const s = encodeRingStep('add', buffers - 1, b, kick ? 1 : 0);
    let ok = true;
    for (let k = 0; ok && k < buffers; k++) {
      const shape = bufferShape(mix32(s, k), size);
      ok = accept(shape & 0xff, shape >>> 8);
    }
    if (ok) return s;
  }
  throw new RangeError(`no add step of ${buffers} buffers has the requested shapes`);
}
