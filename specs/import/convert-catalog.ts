import { catalogSchema, type CatalogFile } from '../catalog/schema.js';
import { describeIssue } from '../catalog/issues.js';

/** The outcome of converting the shared catalog into the project's own file. */
export type ConvertResult =
  | { readonly ok: true; readonly catalog: CatalogFile }
  | { readonly ok: false; readonly errors: readonly string[] };

const RENAMED: Readonly<Record<string, string>> = {
  in_conformance_clause: 'inConformanceClause',
  since_note: 'sinceNote',
  sections_by_version: 'sectionsByVersion',
  keyword_in_spec: 'keywordInSpec',
};

/**
 * Converts the research catalog (snake_case fields, `features` sometimes absent) into the
 * project's catalog (camelCase, `features` always present), then validates it with the same zod
 * schema the loader uses, so a bad source entry is refused here rather than at a user's run.
 *
 * @param rawClauses - the parsed `clauses.json` array
 * @param rawMeta - the parsed `clauses.meta.json` object (provenance)
 */
export function convertCatalog(rawClauses: unknown, rawMeta: unknown): ConvertResult {
  if (!Array.isArray(rawClauses)) {
    return { ok: false, errors: ['the clause file is not a JSON array'] };
  }
  const meta = (rawMeta ?? {}) as { spec?: { repository?: string; commit_read?: string; tag?: string } };
  const clauses = rawClauses.map((raw: unknown) => {
    if (raw === null || typeof raw !== 'object') return raw;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) out[RENAMED[key] ?? key] = value;
    out['features'] ??= [];
    return out;
  });
  const parsed = catalogSchema.safeParse({
    spec: {
      repository: meta.spec?.repository ?? '',
      commit: meta.spec?.commit_read ?? '',
      tag: meta.spec?.tag ?? '',
    },
    clauses,
  });
  if (parsed.success) return { ok: true, catalog: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => describeIssue(issue, parsed.error, clauses)) };
}
