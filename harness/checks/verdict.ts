/**
 * What a check concludes about one implementation in one configuration. One discriminated union,
 * graded rather than boolean (anchors lesson 2): a SHOULD not met is not a MUST failed, and a
 * crash or a time-out says nothing either way about conformance.
 *
 * @module
 */

/** Evidence for a verdict about a clause: what was seen and what the clause allows. */
export interface Evidence {
  /** The clause the observation bears on. */
  readonly clause: string;
  /** What the implementation did, in words (with the numbers). */
  readonly observed: string;
  /** What the clause requires or allows instead, in words. */
  readonly expected: string;
}

/** Every verdict a check can reach. */
export type Verdict =
  /** The implementation met every clause the check enforces in this configuration. */
  | { readonly kind: 'pass' }
  /** A MUST / MUST NOT was broken. */
  | ({ readonly kind: 'fail' } & Evidence)
  /** A SHOULD / SHOULD NOT was not met: reported, fails the gate only under --strict. */
  | ({ readonly kind: 'non-strict' } & Evidence)
  /** A MAY: what the implementation chose, for the record. */
  | { readonly kind: 'info'; readonly clause: string; readonly observed: string }
  /** The check does not apply (a feature not offered or not negotiated, another transport). */
  | { readonly kind: 'not-applicable'; readonly reason: string }
  /** The check ran but could not decide (e.g. the subject refused a needed setup step). */
  | { readonly kind: 'inconclusive'; readonly reason: string }
  /** The implementation (or its adapter) threw, exited or closed its connection. */
  | { readonly kind: 'crashed'; readonly error: string; readonly stderr?: string }
  /** The implementation did not answer within the bound. */
  | { readonly kind: 'timed-out'; readonly afterMs: number; readonly during: string };

/** A verdict's tag. */
export type VerdictKind = Verdict['kind'];

/** All verdict tags, in report order (worst first). */
export const VERDICT_KINDS: readonly VerdictKind[] = [
  'fail',
  'crashed',
  'timed-out',
  'inconclusive',
  'non-strict',
  'info',
  'pass',
  'not-applicable',
];

/** Whether a verdict fails the gate. `--strict` makes SHOULD failures fail too. */
export function failsGate(verdict: Verdict, strict = false): boolean {
  return verdict.kind === 'fail' || (strict && verdict.kind === 'non-strict');
}

/** Whether a verdict leaves the run inconclusive (exit code 2 when nothing failed). */
export function isInconclusive(verdict: Verdict): boolean {
  return verdict.kind === 'crashed' || verdict.kind === 'timed-out' || verdict.kind === 'inconclusive';
}
