/**
 * Spec coverage: for every clause in a scope, whether a registered check judges it (and which, on
 * which side), whether it is listed as unobservable (and why), or whether it still lacks a check.
 * The result is plain data, so the reporters embed it as it is and the CLI prints it with
 * {@link formatSpecCoverage}.
 *
 * A clause counts as checked only when a check of the clause's own role cites it, primary or not.
 * A check judges one side, so a device check citing a driver clause cannot catch a driver that
 * breaks it; such citations are kept and flagged (`otherRoleChecks`, `problems.roleMismatches`)
 * but do not count. Observer rules count only through the checks that use them; the rules that
 * cite a clause are listed for information, as a hint of which check would cover it.
 *
 * @module
 */

import {
  CLAUSE_AREAS,
  CLAUSE_AREA_TITLES,
  CLAUSE_LEVELS,
  CLAUSE_ROLES,
  DEFAULT_SCOPE,
  catalog as shippedCatalog,
  isMandatory,
  type Catalog,
  type ClauseArea,
  type ClauseLevel,
  type ClauseRole,
  type ClauseScope,
} from '../../specs/catalog/index.js';
import { ALL_CHECKS } from '../checks/registry.js';
import { RING_OBSERVER_RULES } from '../observers/ring-rules.js';
import { UNOBSERVABLE_CATEGORIES, UNOBSERVABLE_CLAUSES, type UnobservableCategory, type UnobservableClause } from './unobservable.js';

/**
 * Whether the coverage test demands that every observable in-scope MUST / MUST NOT has a check.
 * Off while checks are still being written; switch it on when they are done, and the test then
 * fails naming every clause still unchecked.
 */
export const FULL_COVERAGE_REQUIRED = false;

/** What coverage needs to know about a check or an observer rule: who it judges, what it cites. */
export interface Citation {
  readonly id: string;
  readonly role: ClauseRole;
  readonly clauses: readonly string[];
}

/** Where coverage reads from; every field defaults to what the harness ships. */
export interface CoverageSources {
  /** @default DEFAULT_SCOPE */
  readonly scope?: ClauseScope;
  /** @default the shipped catalog */
  readonly catalog?: Catalog;
  /** @default ALL_CHECKS */
  readonly checks?: readonly Citation[];
  /** @default UNOBSERVABLE_CLAUSES */
  readonly unobservable?: readonly UnobservableClause[];
  /** @default RING_OBSERVER_RULES (information only, never counted) */
  readonly observerRules?: readonly Citation[];
}

/** A check citing a clause. */
export interface CheckRef {
  readonly id: string;
  readonly role: ClauseRole;
  /** Whether the clause is the check's primary one (its first). */
  readonly primary: boolean;
}

interface ClauseCoverageBase {
  readonly clause: string;
  readonly area: ClauseArea;
  readonly level: ClauseLevel;
  readonly role: ClauseRole;
  readonly features: readonly string[];
  /** Checks of the other role that cite the clause: flagged, not counted. */
  readonly otherRoleChecks: readonly CheckRef[];
  /** Observer rules of the clause's role that cite it (information: a check using one would cover it). */
  readonly observerRules: readonly string[];
}

/** The coverage of one clause. */
export type ClauseCoverage =
  | (ClauseCoverageBase & { readonly status: 'checked'; readonly checks: readonly CheckRef[] })
  | (ClauseCoverageBase & {
      readonly status: 'unobservable';
      readonly category: UnobservableCategory;
      readonly reason: string;
      readonly wouldNeed?: string;
    })
  | (ClauseCoverageBase & { readonly status: 'unchecked' });

/** A clause's coverage status. */
export type CoverageStatus = ClauseCoverage['status'];

/** Counts of clauses by status. */
export interface CoverageCounts {
  readonly total: number;
  readonly checked: number;
  readonly unobservable: number;
  readonly unchecked: number;
}

/** Counts of one area: its MUST / MUST NOT clauses, and every level present. */
export interface AreaCoverage {
  readonly area: ClauseArea;
  readonly title: string;
  readonly mandatory: CoverageCounts;
  readonly levels: readonly ({ readonly level: ClauseLevel } & CoverageCounts)[];
}

/** Things the lead must fix: each makes the numbers wrong or a claim false. */
export interface CoverageProblems {
  /** Listed unobservable although a check of the clause's role cites it: it must leave the list. */
  readonly checkedAndUnobservable: readonly { readonly clause: string; readonly checks: readonly string[] }[];
  /** Unobservable entries that name no catalog clause, a clause that is not MUST / MUST NOT, or repeat one. */
  readonly badUnobservable: readonly { readonly clause: string; readonly why: 'unknown' | 'not-mandatory' | 'duplicate' }[];
  /** Check citations of IDs the catalog does not have. */
  readonly unknownCitations: readonly { readonly check: string; readonly clause: string }[];
  /** In-scope clauses cited by a check of the other role (counted only if a same-role check cites them too). */
  readonly roleMismatches: readonly { readonly clause: string; readonly role: ClauseRole; readonly checks: readonly string[] }[];
}

/** Spec coverage for one scope. Plain JSON. */
export interface SpecCoverage {
  readonly scope: ClauseScope;
  readonly spec: { readonly tag: string; readonly commit: string };
  /** The headline: in-scope MUST / MUST NOT clauses. */
  readonly mandatory: CoverageCounts & {
    readonly unobservableByCategory: { readonly [C in UnobservableCategory]: number };
    readonly byRole: readonly ({ readonly role: ClauseRole } & CoverageCounts)[];
  };
  /** Every in-scope level. */
  readonly byLevel: readonly ({ readonly level: ClauseLevel } & CoverageCounts)[];
  /** Areas of the scope, in catalog order. */
  readonly byArea: readonly AreaCoverage[];
  /** Every in-scope clause, in catalog order. */
  readonly clauses: readonly ClauseCoverage[];
  readonly problems: CoverageProblems;
}

/**
 * Computes spec coverage from the check registry and the unobservable list.
 * Clause statuses follow the catalog's levels and roles (`specs/catalog`); see the module
 * comment for how role mismatches and observer rules are counted.
 */
export function specCoverage(sources: CoverageSources = {}): SpecCoverage {
  const scope = sources.scope ?? DEFAULT_SCOPE;
  const cat = sources.catalog ?? shippedCatalog();
  const checks = sources.checks ?? ALL_CHECKS;
  const unobservable = sources.unobservable ?? UNOBSERVABLE_CLAUSES;
  const rules = sources.observerRules ?? RING_OBSERVER_RULES;

  const citedBy = new Map<string, CheckRef[]>();
  const unknownCitations: { check: string; clause: string }[] = [];
  for (const check of checks) {
    check.clauses.forEach((clause, index) => {
      if (!cat.has(clause)) unknownCitations.push({ check: check.id, clause });
      const refs = citedBy.get(clause) ?? [];
      if (!refs.some((ref) => ref.id === check.id)) refs.push({ id: check.id, role: check.role, primary: index === 0 });
      citedBy.set(clause, refs);
    });
  }

  const listed = new Map<string, UnobservableClause>();
  const badUnobservable: { clause: string; why: 'unknown' | 'not-mandatory' | 'duplicate' }[] = [];
  for (const entry of unobservable) {
    const clause = cat.get(entry.clause);
    if (listed.has(entry.clause)) badUnobservable.push({ clause: entry.clause, why: 'duplicate' });
    else if (clause === undefined) badUnobservable.push({ clause: entry.clause, why: 'unknown' });
    else if (!isMandatory(clause)) badUnobservable.push({ clause: entry.clause, why: 'not-mandatory' });
    else listed.set(entry.clause, entry);
  }

  const checkedAndUnobservable: { clause: string; checks: string[] }[] = [];
  const roleMismatches: { clause: string; role: ClauseRole; checks: string[] }[] = [];
  const clauses = cat.inScope(scope).map((clause): ClauseCoverage => {
    const refs = citedBy.get(clause.id) ?? [];
    const own = refs.filter((ref) => ref.role === clause.role);
    const base: ClauseCoverageBase = {
      clause: clause.id,
      area: clause.area,
      level: clause.level,
      role: clause.role,
      features: clause.features,
      otherRoleChecks: refs.filter((ref) => ref.role !== clause.role),
      observerRules: rules.filter((rule) => rule.role === clause.role && rule.clauses.includes(clause.id)).map((rule) => rule.id),
    };
    if (base.otherRoleChecks.length > 0) {
      roleMismatches.push({ clause: clause.id, role: clause.role, checks: base.otherRoleChecks.map((ref) => ref.id) });
    }
    const entry = listed.get(clause.id);
    if (own.length > 0) {
      if (entry !== undefined) checkedAndUnobservable.push({ clause: clause.id, checks: own.map((ref) => ref.id) });
      return { ...base, status: 'checked', checks: own };
    }
    if (entry !== undefined) {
      return {
        ...base,
        status: 'unobservable',
        category: entry.category,
        reason: entry.reason,
        ...(entry.category === 'outside-seam' ? { wouldNeed: entry.wouldNeed } : {}),
      };
    }
    return { ...base, status: 'unchecked' };
  });

  const mandatory = clauses.filter((c) => isMandatoryLevel(c.level));
  const unobservableByCategory = Object.fromEntries(
    UNOBSERVABLE_CATEGORIES.map((category) => [category, mandatory.filter((c) => c.status === 'unobservable' && c.category === category).length]),
  ) as { [C in UnobservableCategory]: number };

  return {
    scope,
    spec: { tag: cat.spec.tag, commit: cat.spec.commit },
    mandatory: {
      ...countOf(mandatory),
      unobservableByCategory,
      byRole: CLAUSE_ROLES.map((role) => ({ role, ...countOf(mandatory.filter((c) => c.role === role)) })),
    },
    byLevel: levelsOf(clauses),
    byArea: CLAUSE_AREAS.filter((area) => scope.areas.includes(area)).map((area) => {
      const inArea = clauses.filter((c) => c.area === area);
      return { area, title: CLAUSE_AREA_TITLES[area], mandatory: countOf(inArea.filter((c) => isMandatoryLevel(c.level))), levels: levelsOf(inArea) };
    }),
    clauses,
    problems: { checkedAndUnobservable, badUnobservable, unknownCitations, roleMismatches },
  };
}

/** The in-scope MUST / MUST NOT clauses that still need a check. */
export function uncheckedMandatory(coverage: SpecCoverage): readonly ClauseCoverage[] {
  return coverage.clauses.filter((c) => c.status === 'unchecked' && isMandatoryLevel(c.level));
}

/**
 * Whether the coverage is complete: no problem, and every in-scope MUST / MUST NOT is either
 * checked or listed unobservable with its reason.
 */
export function isComplete(coverage: SpecCoverage): boolean {
  const p = coverage.problems;
  return (
    coverage.mandatory.unchecked === 0 &&
    p.checkedAndUnobservable.length === 0 &&
    p.badUnobservable.length === 0 &&
    p.unknownCitations.length === 0
  );
}

/** Options of {@link formatSpecCoverage}. */
export interface FormatCoverageOptions {
  /** Also list the unchecked MUST / MUST NOT clause IDs, by area. @default false */
  readonly listUnchecked?: boolean;
}

/**
 * A short plain-text table: per area, how many MUST / MUST NOT clauses are checked, unobservable
 * and unchecked, then the totals by role and the problems, if any.
 */
export function formatSpecCoverage(coverage: SpecCoverage, options: FormatCoverageOptions = {}): string {
  const { scope, mandatory } = coverage;
  const titleWidth = Math.max(5, ...coverage.byArea.map((a) => a.title.length + 3));
  const row = (label: string, c: CoverageCounts): string =>
    `${label.padEnd(titleWidth)}  ${pad(c.checked, 7)}  ${pad(c.unobservable, 12)}  ${pad(c.unchecked, 9)}  ${pad(c.total, 5)}`;
  const lines = [
    `Spec coverage of MUST / MUST NOT clauses (virtio ${scope.version}, areas ${scope.areas.join('')}${scope.includeLegacy ? ', with legacy' : ', no legacy'}; catalog ${coverage.spec.tag})`,
    `${'area'.padEnd(titleWidth)}  checked  unobservable  unchecked  total`,
    ...coverage.byArea.map((a) => row(`${a.area}  ${a.title}`, a.mandatory)),
    row('total', mandatory),
    ...mandatory.byRole.map((r) => row(`  ${r.role}`, r)),
    `checked ${mandatory.checked} + unobservable ${mandatory.unobservable} + unchecked ${mandatory.unchecked} = ${mandatory.total} ` +
      `(${percent(mandatory.checked + mandatory.unobservable, mandatory.total)} accounted for)`,
    `unobservable by reason: ${UNOBSERVABLE_CATEGORIES.map((k) => `${k} ${mandatory.unobservableByCategory[k]}`).join(', ')}`,
  ];
  const p = coverage.problems;
  for (const { clause, checks } of p.checkedAndUnobservable) {
    lines.push(`PROBLEM: ${clause} is checked (${checks.join(', ')}) but listed unobservable: remove it from harness/coverage/unobservable.ts`);
  }
  for (const { clause, why } of p.badUnobservable) lines.push(`PROBLEM: unobservable entry ${clause}: ${why}`);
  for (const { check, clause } of p.unknownCitations) lines.push(`PROBLEM: check ${check} cites ${clause}, which is not in the catalog`);
  for (const { clause, role, checks } of p.roleMismatches) {
    lines.push(`note: ${clause} binds the ${role} but is cited by ${checks.join(', ')} (other role, not counted)`);
  }
  if (options.listUnchecked === true) {
    const unchecked = uncheckedMandatory(coverage);
    for (const area of coverage.byArea) {
      const ids = unchecked.filter((c) => c.area === area.area).map((c) => c.clause);
      if (ids.length > 0) lines.push(`unchecked ${area.area}: ${ids.join(' ')}`);
    }
  }
  return lines.join('\n');
}

/** The level test of `isMandatory`, for coverage rows that carry only the level. */
function isMandatoryLevel(level: ClauseLevel): boolean {
  return level === 'MUST' || level === 'MUST NOT';
}

function countOf(clauses: readonly ClauseCoverage[]): CoverageCounts {
  let checked = 0;
  let unobservable = 0;
  let unchecked = 0;
  for (const c of clauses) {
    if (c.status === 'checked') checked++;
    else if (c.status === 'unobservable') unobservable++;
    else unchecked++;
  }
  return { total: clauses.length, checked, unobservable, unchecked };
}

function levelsOf(clauses: readonly ClauseCoverage[]): ({ level: ClauseLevel } & CoverageCounts)[] {
  return CLAUSE_LEVELS.map((level) => ({ level, ...countOf(clauses.filter((c) => c.level === level)) })).filter((l) => l.total > 0);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width);
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '100%' : `${Math.floor((100 * part) / whole)}%`;
}
