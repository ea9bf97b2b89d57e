/**
 * The check model. A check names the clauses it enforces, the side it judges and when it applies,
 * drives an implementation through the adapter contract, and returns a {@link Verdict}. It never
 * knows which implementation is on the other side.
 *
 * @module
 */

import type { ClauseLevel, ClauseRole } from '../../specs/catalog/schema.js';
import type { Evidence, Verdict } from './verdict.js';

/** The areas checks are grouped in (one module per area under harness/checks and harness/scenarios). */
export const CHECK_AREAS = ['negotiation', 'transport', 'header', 'mtu', 'ctrl', 'ring', 'datapath'] as const;
/** A check area. */
export type CheckArea = (typeof CHECK_AREAS)[number];

/** Transports a check can run on. */
export type TransportKind = 'pci' | 'mmio';
/** Ring formats a check can run on. */
export type RingKind = 'split' | 'packed';

/** When a check applies. Everything unset means "always". */
export interface Applicability {
  /** Spec feature names that must be negotiated (for a device check: offered and accepted). */
  readonly requires?: readonly string[];
  /** Spec feature names that must not be negotiated. */
  readonly excludes?: readonly string[];
  /** Transports the check runs on. @default both */
  readonly transports?: readonly TransportKind[];
  /** Ring formats the check runs on. @default both */
  readonly rings?: readonly RingKind[];
}

/** How to replay a failing property-based run exactly. */
export interface Replay {
  readonly seed: number;
  /** fast-check's path to the shrunk counterexample. */
  readonly path: string;
  /** The shrunk counterexample (e.g. the command list), printed. */
  readonly counterexample: string;
}

/** What a check's body reports before the level is applied. */
export type CheckOutcome =
  | { readonly kind: 'met' }
  | ({ readonly kind: 'violated'; readonly replay?: Replay } & Evidence)
  | { readonly kind: 'chose'; readonly clause: string; readonly observed: string }
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'inconclusive'; readonly reason: string };

/**
 * One conformance check.
 *
 * @typeParam C - what the check's body receives (a device-side or driver-side context)
 */
export interface Check<C> {
  /** Stable ID, `<area>.<role>.<name>`, used by filters, reports and the expectations file. */
  readonly id: string;
  /** One line: what is checked. */
  readonly title: string;
  /** Catalog clause IDs enforced, the primary one first. */
  readonly clauses: readonly [string, ...string[]];
  /** The side judged. */
  readonly role: ClauseRole;
  /** Level of the primary clause: decides fail vs non-strict vs info. */
  readonly level: ClauseLevel;
  /** Area, for grouping and `--area`. */
  readonly area: CheckArea;
  /** When it applies. */
  readonly applies: Applicability;
  /**
   * How an ambiguous, self-contradictory or silent clause is read, when the check had to decide
   * (`shared/spec/summary.md` "Spec defects" and "Behaviour the spec leaves open").
   */
  readonly decision?: string;
  /** Drives the subject and reports what it saw. May throw: the runner turns that into `crashed`. */
  run(context: C): Promise<CheckOutcome>;
}

/**
 * Turns a check body's outcome into a verdict by the clause level: a violated MUST fails, a
 * violated SHOULD is non-strict, a MAY is information.
 */
export function verdictOf(level: ClauseLevel, outcome: CheckOutcome): Verdict {
  switch (outcome.kind) {
    case 'met':
      return { kind: 'pass' };
    case 'not-applicable':
    case 'inconclusive':
      return outcome;
    case 'chose':
      return { kind: 'info', clause: outcome.clause, observed: outcome.observed };
    case 'violated': {
      const { clause, observed, expected } = outcome;
      if (level === 'MUST' || level === 'MUST NOT') return { kind: 'fail', clause, observed, expected };
      if (level === 'SHOULD' || level === 'SHOULD NOT') return { kind: 'non-strict', clause, observed, expected };
      return { kind: 'info', clause, observed };
    }
  }
}
