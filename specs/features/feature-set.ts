/**
 * Feature sets: which feature bits a device offers or a driver accepts.
 *
 * A feature set is a `bigint` bit mask. Bits up to 70 exist in virtio 1.4, so
 * a 53-bit safe integer is not enough and a pair of u32 would leak transport
 * word boundaries into every caller. Feature sets are negotiated once per
 * reset, never on a ring hot path, so BigInt's cost does not matter here.
 *
 * Transports expose the set in 32-bit windows chosen by a select register
 * (PCI `device_feature_select`, MMIO `DeviceFeaturesSel`): select 0 holds
 * bits 0..31, 1 holds 32..63, 2 holds 64..95 (`pci.common.device.3`).
 *
 * @module
 */

import { NET_FEATURES } from './net.js';
import { RESERVED_FEATURES } from './reserved.js';
import type { SpecVersion } from '../version.js';

/** A set of feature bits; bit `n` of the bigint is feature bit `n`. */
export type FeatureSet = bigint;

/** The empty feature set. */
export const NO_FEATURES: FeatureSet = 0n;

/** Number of 32-bit feature words that hold a defined bit in virtio 1.4 (select 0, 1, 2). */
export const FEATURE_WORD_COUNT = 3;

/** The set containing exactly `bits`. */
export function featureMask(...bits: readonly number[]): FeatureSet {
  let set = 0n;
  for (const bit of bits) set |= 1n << BigInt(bit);
  return set;
}

/** True when `bit` is in `set`. */
export function hasFeature(set: FeatureSet, bit: number): boolean {
  return ((set >> BigInt(bit)) & 1n) === 1n;
}

/** `set` with `bit` added. */
export function withFeature(set: FeatureSet, bit: number): FeatureSet {
  return set | (1n << BigInt(bit));
}

/** `set` with `bit` removed. */
export function withoutFeature(set: FeatureSet, bit: number): FeatureSet {
  return set & ~(1n << BigInt(bit));
}

/** The bit numbers in `set`, ascending. `set` must not be negative. */
export function featureBits(set: FeatureSet): readonly number[] {
  const bits: number[] = [];
  for (let rest = set, bit = 0; rest > 0n; rest >>= 1n, bit++) {
    if ((rest & 1n) === 1n) bits.push(bit);
  }
  return bits;
}

/**
 * The 32-bit window `select` of `set`, as an unsigned number: what a device
 * shows in `device_feature` after the driver wrote `select` to
 * `device_feature_select`. Words with no bits read 0; so does an invalid
 * (negative or fractional) select.
 */
export function featureWord(set: FeatureSet, select: number): number {
  if (!Number.isInteger(select) || select < 0) return 0;
  return Number((set >> BigInt(32 * select)) & 0xffff_ffffn);
}

/**
 * `set` with window `select` replaced by `word` (taken as u32, so an int32
 * such as `-1` means 0xffffffff). An invalid select leaves `set` unchanged.
 */
export function setFeatureWord(set: FeatureSet, select: number, word: number): FeatureSet {
  if (!Number.isInteger(select) || select < 0) return set;
  const shift = BigInt(32 * select);
  return (set & ~(0xffff_ffffn << shift)) | (BigInt(word >>> 0) << shift);
}

/** `set` as `count` feature words, select 0 first. */
export function featureWords(set: FeatureSet, count: number = FEATURE_WORD_COUNT): readonly number[] {
  return Array.from({ length: count }, (_, select) => featureWord(set, select));
}

/** The set whose word `i` is `words[i]` (inverse of {@link featureWords}). */
export function featureSetFromWords(words: readonly number[]): FeatureSet {
  return words.reduce<FeatureSet>((set, word, select) => setFeatureWord(set, select, word), 0n);
}

/** Metadata shared by every known feature bit, device-independent or net. */
export interface FeatureInfo {
  /** Canonical spec name. */
  readonly name: string;
  /** Bit number. */
  readonly bit: number;
  /** Other accepted spellings. */
  readonly aliases: readonly string[];
  /** First revision that defines it. */
  readonly since: SpecVersion;
  /** Only defined for the legacy interface. */
  readonly legacyOnly: boolean;
  /** `'device-independent'` for chapter 6 bits, `'net'` for 5.1.3 bits. */
  readonly scope: 'device-independent' | 'net';
}

/** Every known feature, device-independent first, each ascending by bit. */
export const FEATURES: readonly FeatureInfo[] = Object.freeze([
  ...RESERVED_FEATURES.map((f) =>
    Object.freeze({ name: f.name, bit: f.bit, aliases: f.aliases, since: f.since, legacyOnly: f.legacyOnly, scope: 'device-independent' as const }),
  ),
  ...NET_FEATURES.map((f) =>
    Object.freeze({ name: f.name, bit: f.bit, aliases: Object.freeze([]), since: f.since, legacyOnly: f.legacyOnly, scope: 'net' as const }),
  ),
]);

/**
 * Name to bit for every known feature: canonical spec names and aliases
 * (`VIRTIO_F_RING_EVENT_IDX`, `VIRTIO_F_IOMMU_PLATFORM`, …).
 */
export const FEATURE_BIT_BY_NAME: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(FEATURES.flatMap((f) => [[f.name, f.bit] as const, ...f.aliases.map((a) => [a, f.bit] as const)])),
);

const CANONICAL_BY_NAME: ReadonlyMap<string, string> = new Map(
  FEATURES.flatMap((f) => [[f.name, f.name] as const, ...f.aliases.map((a) => [a, f.name] as const)]),
);

/**
 * Name for each bit. Bit 41 is both VIRTIO_F_ADMIN_VQ and the legacy
 * VIRTIO_NET_F_GUEST_RSC4 (summary.md defect 3); the device-independent name
 * wins because bit 41 can only be negotiated over the modern interface
 * (legacy PCI exposes bits 0..31 only, `pci.legacy.device.4`).
 */
const NAME_BY_BIT: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  for (const f of FEATURES) if (!m.has(f.bit)) m.set(f.bit, f.name);
  return m;
})();

/** The spec name of `bit`, or `bit<N>` for a bit no revision defines. */
export function featureName(bit: number): string {
  return NAME_BY_BIT.get(bit) ?? `bit${bit}`;
}

/** The names of the bits in `set`, ascending by bit; unknown bits as `bit<N>`. */
export function featureNames(set: FeatureSet): readonly string[] {
  return featureBits(set).map(featureName);
}

/** Result of {@link parseFeatureName}. */
export type ParsedFeatureName =
  | { readonly kind: 'feature'; readonly bit: number; readonly name: string }
  | { readonly kind: 'unknown-feature'; readonly input: string; readonly message: string };

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number;
      row[j] = Math.min(up + 1, (row[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length] as number;
}

/**
 * Resolves a feature name as a user may type it: the full spec name
 * (`VIRTIO_NET_F_MRG_RXBUF`), the name without its `VIRTIO_NET_F_` /
 * `VIRTIO_F_` prefix (`MRG_RXBUF`), an alias (`VIRTIO_F_IOMMU_PLATFORM`,
 * `RING_EVENT_IDX`), or `bit<N>` as printed by {@link featureNames}. Case and
 * surrounding blanks are ignored. The returned `name` is the canonical spelling
 * of what was matched (so `GUEST_RSC4` gives `VIRTIO_NET_F_GUEST_RSC4`).
 */
export function parseFeatureName(input: string): ParsedFeatureName {
  const key = input.trim().toUpperCase();
  const bitForm = /^BIT(\d{1,3})$/.exec(key);
  if (bitForm !== null) {
    const bit = Number(bitForm[1]);
    return { kind: 'feature', bit, name: featureName(bit) };
  }
  for (const candidate of [key, `VIRTIO_NET_F_${key}`, `VIRTIO_F_${key}`]) {
    const canonical = CANONICAL_BY_NAME.get(candidate);
    if (canonical !== undefined) {
      return { kind: 'feature', bit: FEATURE_BIT_BY_NAME[candidate] as number, name: canonical };
    }
  }
  const close = [...CANONICAL_BY_NAME.keys()]
    .map((n) => ({ n, d: Math.min(editDistance(key, n), editDistance(key, n.replace(/^VIRTIO_(NET_)?F_/, ''))) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.n);
  const hint = close.length > 0 ? `; did you mean ${close.join(' or ')}?` : '';
  return {
    kind: 'unknown-feature',
    input,
    message:
      `unknown feature name "${input}": expected a VIRTIO_NET_F_* or VIRTIO_F_* name ` +
      `(with or without the prefix), a known alias, or bit<N>${hint}`,
  };
}
