/**
 * fast-check arbitraries for ring scenarios: configurations and
 * integer-encoded step lists. Lengths are always explicit: fast-check 4
 * caps arrays at 10 elements by default (ring-perf §4, "size pitfall"),
 * which would never fill a ring or wrap an index.
 *
 * @module
 */

import fc from 'fast-check';
import type { RingFormat } from '../../../reference-impl/virtqueue/index.js';
import type { RingScenarioConfig } from './ring-config.js';
import { encodeRingStep, RING_STEP_MAX } from './ring-steps.js';

/** Step-list lengths of the ring scenario properties. */
export interface RingStepsLength {
  /** @default 50 */
  readonly minLength?: number;
  /** @default 400 */
  readonly maxLength?: number;
  /**
   * fast-check size for the length between the bounds; the default `'max'`
   * spreads lengths over the whole range instead of crowding the minimum.
   * @default 'max'
   */
  readonly size?: fc.SizeForArbitrary;
}

/** One integer-encoded step (any integer in 0..2^30−1). */
export const ringStepArbitrary: fc.Arbitrary<number> = fc.integer({ min: 0, max: RING_STEP_MAX });

/** A list of steps, `minLength`..`maxLength` long (50..400 by default). */
export function ringStepsArbitrary(length: RingStepsLength = {}): fc.Arbitrary<number[]> {
  return fc.array(ringStepArbitrary, { minLength: length.minLength ?? 50, maxLength: length.maxLength ?? 400, size: length.size ?? 'max' });
}

/** Choices for {@link ringConfigArbitrary}; a fixed value pins the field. */
export interface RingConfigChoices {
  readonly format?: RingFormat;
  /** Candidate queue sizes. @default split 1..64 powers of 2; packed 1..8, 13, 16, 31, 64 */
  readonly sizes?: readonly number[];
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
  readonly inOrder?: boolean;
  /**
   * Split initial index:
   * - `'near-wrap'`: 65536 − m for m in 1..2×size, so a run crosses
   *   65535 → 0 within two laps; any alignment, since a queue that ran
   *   before may stop anywhere in a lap (shrinks towards 65535);
   * - `'near-wrap-unaligned'`: the same, never a multiple of the size (for
   *   size 1, where every index is one, as `'near-wrap'`);
   * - `'any'`: any u16; `'zero'`: none (start at 0).
   * @default 'near-wrap'
   */
  readonly initialIndex?: 'near-wrap' | 'near-wrap-unaligned' | 'any' | 'zero';
}

const SPLIT_SIZES = [1, 2, 4, 8, 16, 32, 64] as const;
const PACKED_SIZES = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64] as const;

/** Ring configurations: format, size, EVENT_IDX / INDIRECT_DESC / IN_ORDER, and a split start index near 65535. */
export function ringConfigArbitrary(choices: RingConfigChoices = {}): fc.Arbitrary<RingScenarioConfig> {
  const bool = (v: boolean | undefined) => (v === undefined ? fc.boolean() : fc.constant(v));
  const format = choices.format === undefined ? fc.constantFrom<RingFormat>('split', 'packed') : fc.constant(choices.format);
  return format.chain((f) => {
    const sizes = choices.sizes ?? (f === 'split' ? SPLIT_SIZES : PACKED_SIZES);
    return fc
      .record({
        size: fc.constantFrom(...sizes),
        eventIdx: bool(choices.eventIdx),
        indirect: bool(choices.indirect),
        inOrder: bool(choices.inOrder),
        k: fc.integer({ min: 0, max: 0xffff }),
      })
      .map(({ size, eventIdx, indirect, inOrder, k }): RingScenarioConfig => {
        const base = { format: f, size, eventIdx, indirect, inOrder };
        const mode = choices.initialIndex ?? 'near-wrap';
        if (f === 'packed' || mode === 'zero') return base;
        return { ...base, initialIndex: mode === 'any' ? k : 0x10000 - nearWrapDistance(size, k, mode === 'near-wrap-unaligned') };
      });
  });
}

/**
 * Distance m in 1..2×size below 65536 picked by `k` (0 → 1); with
 * `unaligned` and size ≥ 2, skips size and 2×size so the start is never a
 * multiple of the size.
 */
function nearWrapDistance(size: number, k: number, unaligned: boolean): number {
  if (!unaligned || size === 1) return 1 + (k % (2 * size));
  const r = k % (2 * size - 2);
  return r < size - 1 ? r + 1 : r + 2;
}

/** A configuration and its steps: the whole input of one scenario run. */
export function ringScenarioArbitrary(
  choices: RingConfigChoices = {},
  length: RingStepsLength = {},
): fc.Arbitrary<{ readonly config: RingScenarioConfig; readonly steps: number[] }> {
  return fc.record({ config: ringConfigArbitrary(choices), steps: ringStepsArbitrary(length) });
}

/**
 * Scenarios for large queues: 64 steps that each add 4 buffers without a
 * kick (so the ring fills), then 400 random steps.
 */
export function fillThenRandom(
  format: RingFormat,
  sizes: readonly number[],
): fc.Arbitrary<{ readonly config: RingScenarioConfig; readonly steps: number[] }> {
  const fill = fc.array(fc.integer({ min: 0, max: 4095 }), { minLength: 64, maxLength: 64 });
  return fc
    .record({ config: ringConfigArbitrary({ format, sizes }), fill, rest: ringStepsArbitrary({ minLength: 400, maxLength: 400 }) })
    .map(({ config, fill, rest }) => ({ config, steps: [...fill.map((b) => encodeRingStep('add', 3, b, 0)), ...rest] }));
}
