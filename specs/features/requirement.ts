/**
 * Boolean expressions over feature bits.
 *
 * The spec conditions many things on features: a dependency ("HASH_TUNNEL
 * requires CTRL_VQ and (RSS or HASH_REPORT)"), a config field's validity
 * ("valid with MQ or RSS"), a header field's presence, a control command's
 * gate. One small expression type serves all of them, so checks can both
 * evaluate the condition and print it.
 *
 * @module
 */

import { type FeatureSet, featureName, hasFeature } from './feature-set.js';

/** A condition on a feature set: one bit, or all-of / any-of nested conditions. */
export type Requirement =
  | { readonly kind: 'feature'; readonly bit: number }
  | { readonly kind: 'all-of'; readonly of: readonly Requirement[] }
  | { readonly kind: 'any-of'; readonly of: readonly Requirement[] };

/** A feature bit number or an expression; bits are lifted to `{ kind: 'feature' }`. */
export type RequirementInput = number | Requirement;

function lift(input: RequirementInput): Requirement {
  return typeof input === 'number' ? Object.freeze({ kind: 'feature', bit: input }) : input;
}

/** The condition "feature `bit` is in the set". */
export function feature(bit: number): Requirement {
  return lift(bit);
}

/** All of the given conditions hold. `allOf()` with no argument is always true. */
export function allOf(...items: readonly RequirementInput[]): Requirement {
  return Object.freeze({ kind: 'all-of', of: Object.freeze(items.map(lift)) });
}

/** At least one of the given conditions holds. `anyOf()` with no argument is always false. */
export function anyOf(...items: readonly RequirementInput[]): Requirement {
  return Object.freeze({ kind: 'any-of', of: Object.freeze(items.map(lift)) });
}

/** The condition that always holds (for fields or commands with no feature condition). */
export const ALWAYS: Requirement = allOf();

/** True when `set` satisfies `req`. */
export function satisfies(set: FeatureSet, req: Requirement): boolean {
  switch (req.kind) {
    case 'feature':
      return hasFeature(set, req.bit);
    case 'all-of':
      return req.of.every((r) => satisfies(set, r));
    case 'any-of':
      return req.of.some((r) => satisfies(set, r));
  }
}

/**
 * The part of `req` that `set` does not satisfy, or `null` when `req` holds.
 *
 * For an all-of, only the failing members are kept (so "CTRL_VQ and (RSS or
 * HASH_REPORT)" with CTRL_VQ present reduces to "RSS or HASH_REPORT"); an
 * any-of that fails is returned whole, since any one member would fix it.
 */
export function unmetPart(set: FeatureSet, req: Requirement): Requirement | null {
  switch (req.kind) {
    case 'feature':
      return hasFeature(set, req.bit) ? null : req;
    case 'any-of':
      return satisfies(set, req) ? null : req;
    case 'all-of': {
      const missing = req.of.map((r) => unmetPart(set, r)).filter((r): r is Requirement => r !== null);
      if (missing.length === 0) return null;
      return missing.length === 1 ? (missing[0] as Requirement) : allOf(...missing);
    }
  }
}

/** Every feature bit mentioned anywhere in `req`, ascending, without repeats. */
export function requirementBits(req: Requirement): readonly number[] {
  const bits = new Set<number>();
  const walk = (r: Requirement): void => {
    if (r.kind === 'feature') bits.add(r.bit);
    else r.of.forEach(walk);
  };
  walk(req);
  return [...bits].sort((a, b) => a - b);
}

/** Options for {@link describeRequirement}. */
export interface DescribeOptions {
  /** Drop the `VIRTIO_NET_F_` / `VIRTIO_F_` prefix, as the spec's dependency table does. */
  readonly short?: boolean;
}

/**
 * The condition in words, e.g. `VIRTIO_NET_F_CTRL_VQ and (VIRTIO_NET_F_RSS or
 * VIRTIO_NET_F_HASH_REPORT)`. Nested groups are parenthesised; the empty
 * all-of reads `always`, the empty any-of `never`.
 */
export function describeRequirement(req: Requirement, options: DescribeOptions = {}): string {
  const name = (bit: number): string => {
    const full = featureName(bit);
    return options.short === true ? full.replace(/^VIRTIO_(NET_)?F_/, '') : full;
  };
  const walk = (r: Requirement, nested: boolean): string => {
    if (r.kind === 'feature') return name(r.bit);
    if (r.of.length === 0) return r.kind === 'all-of' ? 'always' : 'never';
    if (r.of.length === 1) return walk(r.of[0] as Requirement, nested);
    const text = r.of.map((x) => walk(x, true)).join(r.kind === 'all-of' ? ' and ' : ' or ');
    return nested ? `(${text})` : text;
  };
  return walk(req, false);
}
