/**
 * A ring check judges one family of ring observer rules: the rules share a
 * role and a subject (e.g. "used entries", "notifications"), and the check
 * cites the union of their clauses, the primary clause first. The family is
 * data, so the check's clause list and the rule filter cannot drift apart.
 *
 * @module
 */

import { ringRule, type RingRuleId } from '../../observers/index.js';

/** The rules of one check, split and packed. */
export interface RuleFamily {
  /** Rule IDs, the rule whose primary clause is the check's primary clause first. */
  readonly rules: readonly [RingRuleId, ...RingRuleId[]];
}

/** The set of rule IDs of a family, for filtering findings. */
export function ruleSet(family: RuleFamily): ReadonlySet<string> {
  return new Set(family.rules);
}

/**
 * Every clause the family's rules cite, in rule order without repeats, so
 * the first rule's primary clause comes first.
 * @throws RangeError for an unknown rule (a programming error).
 */
export function familyClauses(family: RuleFamily): readonly [string, ...string[]] {
  const seen: string[] = [];
  for (const id of family.rules) for (const clause of ringRule(id).clauses) if (!seen.includes(clause)) seen.push(clause);
  return seen as unknown as readonly [string, ...string[]];
}

/** Every decision the family's rules record, one per line, prefixed with the rule ID. */
export function familyDecisions(family: RuleFamily): string | undefined {
  const lines = family.rules.flatMap((id) => {
    const decision = ringRule(id).decision;
    return decision === undefined ? [] : [`${id}: ${decision}`];
  });
  return lines.length === 0 ? undefined : lines.join('\n');
}
