/**
 * The result of decoding a control command's payload.
 *
 * `malformed`: the bytes do not frame the structure (too short, or trailing
 * bytes when strict). `invalid`: the structure is complete but a value
 * breaks a rule, with the clause the driver broke when there is one. The
 * spec leaves the device's answer to both open (summary.md, "ack on bad
 * input"); keeping them apart lets a policy answer malformed commands with
 * DEVICE_NEEDS_RESET instead of ERR.
 *
 * @module
 */

/** Outcome of a parse. */
export type ParseResult<T> =
  | { readonly kind: 'parsed'; readonly value: T }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string; readonly clause: string | null };

/** A failed parse (either kind), usable as any `ParseResult<T>`. */
export type ParseFailure = Exclude<ParseResult<never>, { readonly kind: 'parsed' }>;

/** A `malformed` result. */
export function malformed(reason: string): ParseFailure {
  return { kind: 'malformed', reason };
}

/** An `invalid` result, citing `clause` when the driver broke a stated rule. */
export function invalid(reason: string, clause: string | null = null): ParseFailure {
  return { kind: 'invalid', reason, clause };
}

/** A `parsed` result. */
export function parsed<T>(value: T): ParseResult<T> {
  return { kind: 'parsed', value };
}
