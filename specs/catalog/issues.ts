import type { z } from 'zod';

/**
 * Turns a zod issue on the catalog into one line that names the clause (by index and, where it
 * has one, by id) and the field, so a maintainer can find the bad entry without a stack trace.
 */
export function describeIssue(issue: z.core.$ZodIssue, _error: unknown, clauses: readonly unknown[]): string {
  const [head, index, ...rest] = issue.path;
  if (head === 'clauses' && typeof index === 'number') {
    const entry = clauses[index] as { id?: unknown } | undefined;
    const id = typeof entry?.id === 'string' ? ` (id '${entry.id}')` : '';
    const field = rest.length > 0 ? rest.join('.') : '(entry)';
    return `clauses[${index}]${id}, field '${field}': ${issue.message}`;
  }
  const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${where}: ${issue.message}`;
}
