import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogSchema, type Clause, type CatalogFile } from './schema.js';
import { describeIssue } from './issues.js';
import { packageRoot } from './package-root.js';
import { DEFAULT_SCOPE, inScope, type ClauseScope } from './scope.js';

/** Why the catalog could not be loaded. */
export type CatalogLoadError =
  | { readonly kind: 'missing'; readonly path: string; readonly message: string }
  | { readonly kind: 'not-json'; readonly path: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly path: string; readonly message: string; readonly issues: readonly string[] };

/** The outcome of loading the catalog. */
export type CatalogLoadResult =
  | { readonly ok: true; readonly catalog: Catalog }
  | { readonly ok: false; readonly error: CatalogLoadError };

/** The validated clause catalog with lookups. */
export class Catalog {
  readonly spec: CatalogFile['spec'];
  readonly clauses: readonly Clause[];
  readonly #byId: ReadonlyMap<string, Clause>;

  constructor(file: CatalogFile) {
    this.spec = file.spec;
    this.clauses = file.clauses;
    this.#byId = new Map(file.clauses.map((clause) => [clause.id, clause]));
  }

  /** The clause with this ID, or undefined. */
  get(id: string): Clause | undefined {
    return this.#byId.get(id);
  }

  /** Whether a clause with this ID exists. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The clauses in a scope, in catalog order. */
  inScope(scope: ClauseScope = DEFAULT_SCOPE): readonly Clause[] {
    return this.clauses.filter((clause) => inScope(clause, scope));
  }
}

/** Where the shipped catalog lives. */
export function defaultCatalogPath(): string {
  return join(packageRoot(), 'specs', 'catalog', 'clauses.json');
}

/**
 * Loads and validates a catalog file. Never throws for a bad file: a missing file, a file that
 * is not JSON and an entry that breaks the schema each come back as a typed error whose message
 * names the file and, for a bad entry, the clause and the field.
 */
export function loadCatalog(path: string = defaultCatalogPath()): CatalogLoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, error: { kind: 'missing', path, message: `cannot read the clause catalog ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` } };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: { kind: 'not-json', path, message: `the clause catalog ${path} is not valid JSON: ${(error as Error).message}` } };
  }
  const parsed = catalogSchema.safeParse(raw);
  if (!parsed.success) {
    const clauses = (raw as { clauses?: unknown }).clauses;
    const issues = parsed.error.issues.map((issue) => describeIssue(issue, parsed.error, Array.isArray(clauses) ? clauses : []));
    return {
      ok: false,
      error: { kind: 'invalid', path, issues, message: `the clause catalog ${path} is invalid: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}` },
    };
  }
  return { ok: true, catalog: new Catalog(parsed.data) };
}

/** Thrown by {@link catalog} when the shipped catalog cannot be loaded. */
export class CatalogError extends Error {
  constructor(readonly detail: CatalogLoadError) {
    super(detail.message);
    this.name = 'CatalogError';
  }
}

let shipped: Catalog | undefined;

/**
 * The shipped catalog, loaded once. For code that cannot continue without it (checks, the
 * reporters); it throws {@link CatalogError} with the loader's message, which the CLI turns into
 * exit code 3.
 */
export function catalog(): Catalog {
  if (shipped) return shipped;
  const result = loadCatalog();
  if (!result.ok) throw new CatalogError(result.error);
  shipped = result.catalog;
  return shipped;
}
