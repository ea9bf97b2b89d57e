/**
 * `explain <clause-or-check>`: everything the tool knows about one clause or one check — the
 * clause text, level, role and features; the checks that enforce it; the mutants that prove them.
 *
 * @module
 */

import { catalog, type Clause } from '../../specs/catalog/index.js';
import { ALL_CHECKS, findCheck } from '../checks/registry.js';
import { ALL_MUTANTS } from '../mutants/registry.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { parseOptions } from './options.js';

/** `explain --help` text. */
export const EXPLAIN_HELP = `Usage: virtio-net-conformance explain <clause-id | check-id> [--json]

Prints a clause (text, level, role, features, section) with the checks that enforce it and the
mutants that prove those checks, or a check with its clauses and mutants.`;

function mutantsOf(checkId: string): { id: string; title: string; imitates?: string }[] {
  return ALL_MUTANTS.filter((m) => m.killedBy.includes(checkId)).map((m) => ({ id: m.id, title: m.title, ...(m.imitates ? { imitates: m.imitates } : {}) }));
}

function clauseView(clause: Clause) {
  const checks = ALL_CHECKS.filter((c) => c.clauses.includes(clause.id));
  return {
    kind: 'clause' as const,
    clause,
    checks: checks.map((c) => ({ id: c.id, title: c.title, role: c.role, level: c.level, mutants: mutantsOf(c.id) })),
  };
}

/** Runs `explain`; returns the exit code. */
export function runExplain(args: readonly string[], out: (text: string) => void): number {
  const { values, positionals } = parseOptions('explain', args, {}, true);
  if (values.help) {
    out(EXPLAIN_HELP);
    return ExitCode.Conformant;
  }
  if (positionals.length !== 1) throw new UsageError("explain: give exactly one clause or check ID (see 'virtio-net-conformance list')");
  const id = positionals[0]!;
  const clause = catalog().get(id);
  const check = findCheck(id);
  if (clause === undefined && check === undefined) throw new UsageError(`explain: '${id}' is neither a clause nor a check (see 'virtio-net-conformance list' and 'list --checks')`);
  if (clause !== undefined) {
    const view = clauseView(clause);
    if (values.json) {
      out(JSON.stringify(view, null, 2));
      return ExitCode.Conformant;
    }
    out(`${clause.id}  ${clause.level}  ${clause.role}  §${clause.section} ${clause.title} (since ${clause.since}${clause.legacy ? ', legacy' : ''})`);
    out(`  ${clause.text}`);
    if (clause.features.length > 0) out(`  features: ${clause.features.join(', ')}`);
    if (view.checks.length === 0) out('  enforced by no check');
    for (const c of view.checks) {
      out(`  check ${c.id} (${c.role}, ${c.level}): ${c.title}`);
      for (const m of c.mutants) out(`    proven by mutant ${m.id}: ${m.title}${m.imitates ? ` [imitates ${m.imitates}]` : ''}`);
    }
    return ExitCode.Conformant;
  }
  const c = check!;
  const view = {
    kind: 'check' as const,
    check: { id: c.id, title: c.title, role: c.role, level: c.level, area: c.area, applies: c.applies, decision: c.decision ?? null },
    clauses: c.clauses.map((cid) => catalog().get(cid)),
    mutants: mutantsOf(c.id),
  };
  if (values.json) {
    out(JSON.stringify(view, null, 2));
    return ExitCode.Conformant;
  }
  out(`${c.id}  ${c.level}  ${c.role}  area ${c.area}: ${c.title}`);
  if (c.decision) out(`  decision: ${c.decision}`);
  for (const cl of view.clauses) if (cl) out(`  clause ${cl.id} (${cl.level}, ${cl.role}): ${cl.text}`);
  for (const m of view.mutants) out(`  proven by mutant ${m.id}: ${m.title}${m.imitates ? ` [imitates ${m.imitates}]` : ''}`);
  if (view.mutants.length === 0) out('  proven by no mutant');
  return ExitCode.Conformant;
}
