/**
 * fast-check arbitraries over feature sets: subsets a driver may write for a device's offer (valid
 * ones and the kinds of invalid ones a buggy driver writes), and offers a conformant device may
 * make, for driver-side properties. Validity is judged against the spec's dependency table in
 * specs/ (5.1.3.1), which is the spec itself, not an implementation.
 *
 * @module
 */

import fc from 'fast-check';
import { NET_FEATURE_DEPENDENCIES, unmetDependencies, withDependencies } from '../../../specs/features/dependencies.js';
import { type FeatureSet, featureBits, featureName, hasFeature } from '../../../specs/features/feature-set.js';
import { NET_FEATURES } from '../../../specs/features/net.js';
import { requirementBits } from '../../../specs/features/requirement.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';

const bit = (b: number): FeatureSet => 1n << BigInt(b);

/**
 * The largest subset of `set` that satisfies every MUST row of the dependency table: features
 * whose prerequisites are missing are dropped until none is left (`features.driver.2`).
 */
export function closeDownward(set: FeatureSet): FeatureSet {
  let current = set;
  for (;;) {
    const broken = unmetDependencies(current, 'driver', { strength: 'must' });
    if (broken.length === 0) return current;
    for (const v of broken) current &= ~bit(v.feature);
  }
}

/** True when `set` breaks no MUST row of the dependency table. */
export function isDependencyClosed(set: FeatureSet): boolean {
  return unmetDependencies(set, 'driver', { strength: 'must' }).length === 0;
}

/** Bits of `offered` a driver may leave out without giving the device a reason to refuse. */
function optionalBits(offered: FeatureSet, required: FeatureSet): readonly number[] {
  return featureBits(offered & ~required).filter((b) => b !== VIRTIO_F_RING_PACKED);
}

/**
 * Each of `bits` independently, with probability 1/`oneIn`: unlike `fc.subarray`, whose first runs
 * favour tiny subsets, this gives sets of a steady density from the first run on.
 */
function anyOfBits(bits: readonly number[], oneIn = 2): fc.Arbitrary<FeatureSet> {
  return fc
    .array(fc.nat(oneIn - 1), { minLength: bits.length, maxLength: bits.length })
    .map((picks) => picks.reduce((s, pick, i) => (pick === 0 ? s | bit(bits[i] as number) : s), 0n));
}

/**
 * Valid subsets of `offered`: `required` (VERSION_1, platform bits, the ring format) plus any
 * dependency-closed choice of the other offered bits (`features.device.2`: "any valid subset").
 */
export function validSubset(offered: FeatureSet, required: FeatureSet): fc.Arbitrary<FeatureSet> {
  return anyOfBits(optionalBits(offered, required)).map((chosen) => closeDownward(chosen | required) | required);
}

/** How a driver subset was made, for reports. */
export type SubsetShape = 'valid' | 'without-version-1' | 'with-unoffered-bit' | 'breaking-a-dependency';

/** A subset a driver writes, with how it was made. */
export interface DriverSubset {
  readonly shape: SubsetShape;
  readonly features: FeatureSet;
}

/** Defined, non-legacy feature bits, device-independent ones included. */
const DEFINED_BITS: readonly number[] = [
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_RESET,
  ...NET_FEATURES.filter((f) => !f.legacyOnly).map((f) => f.bit),
];

/**
 * Subsets a driver may write for `offered`, conformant or not: a valid one, one without
 * VERSION_1, one with a bit the device did not offer, one with a feature whose prerequisite is
 * left out. A device may accept or refuse each invalid kind (summary.md, "Feature acceptance").
 */
export function driverSubset(offered: FeatureSet, required: FeatureSet): fc.Arbitrary<DriverSubset> {
  const valid = validSubset(offered, required);
  const unoffered = DEFINED_BITS.filter((b) => !hasFeature(offered, b));
  const dependents = MUST_ROWS.filter((row) => hasFeature(offered, row.feature)).map((row) => row.feature);
  const options: fc.Arbitrary<DriverSubset>[] = [valid.map((features) => ({ shape: 'valid' as const, features }))];
  options.push(valid.map((features) => ({ shape: 'without-version-1' as const, features: features & ~bit(VIRTIO_F_VERSION_1) })));
  if (unoffered.length > 0) {
    options.push(fc.tuple(valid, fc.constantFrom(...unoffered)).map(([features, b]) => ({ shape: 'with-unoffered-bit' as const, features: features | bit(b) })));
  }
  if (dependents.length > 0) {
    options.push(
      fc.tuple(valid, fc.constantFrom(...dependents)).map(([features, b]) => ({
        shape: 'breaking-a-dependency' as const,
        features: (features | bit(b)) & ~bitsRequiredBy(b, offered),
      })),
    );
  }
  return fc.oneof(...options);
}

const MUST_ROWS = NET_FEATURE_DEPENDENCIES.filter((d) => d.strength === 'must');

/** Every bit named in `feature`'s table row: leaving all of them out breaks the row, whatever its shape. */
function bitsRequiredBy(feature: number, offered: FeatureSet): FeatureSet {
  let need = 0n;
  for (const row of MUST_ROWS) if (row.feature === feature) for (const b of requirementBits(row.requires)) need |= bit(b);
  return need & offered;
}

/** Net bits the reference instrument can offer (not legacy-only, not IPSEC or RSC_EXT). */
const INSTRUMENT_NET_BITS: readonly number[] = NET_FEATURES.filter(
  (f) => !f.legacyOnly && f.name !== 'VIRTIO_NET_F_IPSEC' && f.name !== 'VIRTIO_NET_F_RSC_EXT',
).map((f) => f.bit);

/** Device-independent bits an instrument offer may carry besides VERSION_1 (the rig sets RING_PACKED). */
const INSTRUMENT_TRANSPORT_BITS: readonly number[] = [
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_NOTIFICATION_DATA,
];

/**
 * Offers a conformant device may make, as spec names for a rig request: VERSION_1 and a random
 * choice of net and transport bits, rich (each bit half the time), sparse (one in eight) or none,
 * closed upward over the dependency table so that the offer itself breaks no row
 * (`features.device.1`).
 */
export function conformantOffer(): fc.Arbitrary<readonly string[]> {
  const bits = [...INSTRUMENT_NET_BITS, ...INSTRUMENT_TRANSPORT_BITS];
  return fc.oneof(anyOfBits(bits, 2), anyOfBits(bits, 8), fc.constant(0n)).map((chosen) => featureBits(withDependencies(chosen | bit(VIRTIO_F_VERSION_1))).map(featureName));
}
