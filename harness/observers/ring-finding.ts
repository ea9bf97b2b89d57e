/**
 * What a ring observer reports: a clause violation by one side, or the
 * observer giving up on a queue whose state it can no longer follow.
 *
 * @module
 */

import type { ClauseRole } from '../../specs/catalog/schema.js';
import type { RingRuleId } from './ring-rules.js';

/**
 * One side broke a ring rule. `clause` is the clause ID (from the catalog)
 * that the observed memory contradicts; `clauses` are all the IDs the rule
 * cites, `clause` among them.
 */
export interface RingViolation {
  readonly kind: 'violation';
  /** The observer rule that fired (see `RING_OBSERVER_RULES`). */
  readonly rule: RingRuleId;
  /** The clause the observation contradicts. */
  readonly clause: string;
  /** Every clause the rule enforces, `clause` first. */
  readonly clauses: readonly string[];
  /** The side judged to have broken the rule. */
  readonly role: ClauseRole;
  /** Virtqueue index the observer watches. */
  readonly queue: number;
  /** What memory or the notification trace showed. */
  readonly observed: string;
  /** What the clause allows instead. */
  readonly expected: string;
}

/**
 * The observer lost track of a queue (after a violation that leaves its
 * shadow state unreliable, e.g. a used entry naming no outstanding chain).
 * It checks nothing more on that queue, so later reports are not a cascade
 * of one fault.
 */
export interface RingObserverDesync {
  readonly kind: 'observer-desync';
  readonly queue: number;
  readonly reason: string;
}

/** Anything a ring observer reports. */
export type RingFinding = RingViolation | RingObserverDesync;

/** The side whose memory writes an observer attributes changes to. */
export type RingActor = ClauseRole;
