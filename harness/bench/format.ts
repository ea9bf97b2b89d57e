/**
 * Plain-text tables for the benchmark's terminal output.
 *
 * @module
 */

/** A table: a header row and data rows of already formatted cells. */
export interface TextTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Cells that look like numbers (optionally with a unit suffix) are right-aligned. */
const NUMERIC = /^[-+]?[\d.,]+(?:[–-][\d.,]+)?\s*(?:×|ns|M\/s|s|ms|%)?$/u;

/** Renders `table` with columns padded to their widest cell, two spaces apart, and a rule under the header. */
export function formatTable(table: TextTable): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], header: boolean) =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? '';
        return !header && NUMERIC.test(cell) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(table.columns, true), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map((r) => line(r, false))].join('\n');
}

/** Formats `n` with `digits` decimals, or `–` for NaN. */
export function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}
