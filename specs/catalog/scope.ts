import { z } from 'zod';
import { CLAUSE_AREAS, SPEC_VERSIONS, type Clause, type ClauseArea, type SpecVersion } from './schema.js';

/**
 * Which clauses a run judges. A parameter, never a constant: a 1.2-level device, a legacy
 * transitional device or a transport author each want a different slice of the same catalog.
 */
export interface ClauseScope {
  /** The newest spec version whose clauses count. @default '1.3' */
  readonly version: SpecVersion;
  /** Whether Legacy Interface (transitional) clauses count. @default false */
  readonly includeLegacy: boolean;
  /** The areas that count. @default ['a','b','c','d','e','f','g'] */
  readonly areas: readonly ClauseArea[];
}

/** The default scope: virtio 1.3 and older, no legacy interface, areas a..g. */
export const DEFAULT_SCOPE: ClauseScope = Object.freeze({
  version: '1.3',
  includeLegacy: false,
  areas: Object.freeze(['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const),
});

/** zod schema for a scope given as data (options, config files); missing fields take the defaults. */
export const clauseScopeSchema = z.strictObject({
  version: z.enum(SPEC_VERSIONS).default(DEFAULT_SCOPE.version),
  includeLegacy: z.boolean().default(DEFAULT_SCOPE.includeLegacy),
  areas: z
    .array(z.enum(CLAUSE_AREAS))
    .min(1, 'a scope needs at least one area')
    .default([...DEFAULT_SCOPE.areas]),
});

/** The outcome of reading a scope. */
export type ScopeResult =
  | { readonly ok: true; readonly scope: ClauseScope }
  | { readonly ok: false; readonly message: string };

/** Validates a scope given as data, naming the field and the allowed values when it is wrong. */
export function parseScope(input: unknown): ScopeResult {
  const parsed = clauseScopeSchema.safeParse(input ?? {});
  if (parsed.success) return { ok: true, scope: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, message: `scope.${issue.path.join('.') || '(value)'}: ${issue.message}` };
}

/** Whether a clause lies in a scope. */
export function inScope(clause: Clause, scope: ClauseScope = DEFAULT_SCOPE): boolean {
  return (
    SPEC_VERSIONS.indexOf(clause.since) <= SPEC_VERSIONS.indexOf(scope.version) &&
    (scope.includeLegacy || !clause.legacy) &&
    scope.areas.includes(clause.area)
  );
}

/** Whether a clause is a hard requirement (MUST or MUST NOT). */
export function isMandatory(clause: Clause): boolean {
  return clause.level === 'MUST' || clause.level === 'MUST NOT';
}
