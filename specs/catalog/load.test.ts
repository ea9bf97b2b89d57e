import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCatalogPath, loadCatalog, catalog } from './load.js';
import { DEFAULT_SCOPE, inScope, isMandatory, parseScope } from './scope.js';

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vnc-catalog-')), name);
  writeFileSync(path, text);
  return path;
}

function shippedRaw(): { clauses: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(defaultCatalogPath(), 'utf8'));
}

describe('the shipped catalog', () => {
  it('loads and validates: 767 clauses with unique ids', () => {
    const result = loadCatalog();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.catalog.clauses).toHaveLength(767);
    expect(new Set(result.catalog.clauses.map((c) => c.id)).size).toBe(767);
    expect(result.catalog.spec.commit).toBe('15f488c162107f7b52fb2e4d0f36a2349fe9d3a9');
  });

  it('keeps the ids stable (a renamed or reordered id fails this pin)', () => {
    const ids = catalog().clauses.map((c) => c.id).join('\n');
    expect(createHash('sha256').update(ids).digest('hex')).toBe('d69135dd43ff6584a64921773a6b2e5f2881f23d07973b13934ed956a730dede');
  });

  it('keeps every field a check or report needs on every clause', () => {
    for (const clause of catalog().clauses) {
      for (const field of ['id', 'section', 'label', 'title', 'role', 'level', 'area', 'topic', 'features', 'since', 'legacy', 'text'] as const) {
        expect(clause[field], `${clause.id}.${field}`).toBeDefined();
      }
    }
    expect(catalog().get('status.driver.1')?.text).toMatch(/ACKNOWLEDGE/);
    expect(catalog().get('no.such.clause')).toBeUndefined();
  });

  it('has 475 clauses in the default scope, 340 of them MUST or MUST NOT', () => {
    const scoped = catalog().inScope();
    expect(scoped).toHaveLength(475);
    expect(scoped.filter(isMandatory)).toHaveLength(340);
    expect(scoped.every((c) => c.since !== '1.4' && !c.legacy && c.area !== 'h')).toBe(true);
  });

  it('treats the scope as a parameter', () => {
    const all = catalog().inScope({ version: '1.4', includeLegacy: true, areas: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] });
    expect(all).toHaveLength(767);
    const v12 = catalog().inScope({ ...DEFAULT_SCOPE, version: '1.2' });
    expect(v12.every((c) => c.since === '1.2')).toBe(true);
    expect(v12.length).toBeLessThan(475);
    const legacyClause = catalog().clauses.find((c) => c.legacy)!;
    expect(inScope(legacyClause)).toBe(false);
    expect(inScope(legacyClause, { ...DEFAULT_SCOPE, includeLegacy: true, version: '1.4', areas: [legacyClause.area] })).toBe(true);
  });
});

describe('bad catalog files', () => {
  it('reports a missing file by path', () => {
    const result = loadCatalog('/nonexistent/clauses.json');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe('missing');
    expect(result.error.message).toContain('/nonexistent/clauses.json');
  });

  it('reports a file that is not JSON', () => {
    const result = loadCatalog(tempFile('clauses.json', '{"clauses": [ truncated'));
    expect(result.ok || result.error.kind).toBe('not-json');
  });

  it('rejects a malformed entry, naming the entry and the field', () => {
    const raw = shippedRaw();
    raw.clauses[3]!['level'] = 'MUSTY';
    const id = raw.clauses[3]!['id'] as string;
    const result = loadCatalog(tempFile('clauses.json', JSON.stringify(raw)));
    expect(result.ok).toBe(false);
    if (result.ok || result.error.kind !== 'invalid') throw new Error('expected an invalid catalog');
    expect(result.error.issues).toHaveLength(1);
    expect(result.error.issues[0]).toContain(`clauses[3] (id '${id}'), field 'level'`);
  });

  it('rejects a missing field and an unknown field', () => {
    const raw = shippedRaw();
    delete raw.clauses[10]!['role'];
    raw.clauses[11]!['colour'] = 'red';
    const result = loadCatalog(tempFile('clauses.json', JSON.stringify(raw)));
    if (result.ok || result.error.kind !== 'invalid') throw new Error('expected an invalid catalog');
    expect(result.error.issues.some((m) => m.includes("clauses[10]") && m.includes("field 'role'"))).toBe(true);
    expect(result.error.issues.some((m) => m.includes('clauses[11]') && m.includes('colour'))).toBe(true);
  });

  it('rejects duplicate ids', () => {
    const raw = shippedRaw();
    raw.clauses[20]!['id'] = raw.clauses[2]!['id'];
    const result = loadCatalog(tempFile('clauses.json', JSON.stringify(raw)));
    if (result.ok) throw new Error('expected a duplicate-id error');
    expect(result.error.message).toMatch(/duplicate clause id .* \(first at clauses\[2\]\)/);
  });
});

describe('scope values', () => {
  it('fills defaults and rejects unknown values with the field named', () => {
    expect(parseScope({})).toEqual({ ok: true, scope: { version: '1.3', includeLegacy: false, areas: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] } });
    const badVersion = parseScope({ version: '2.0' });
    expect(badVersion.ok).toBe(false);
    if (!badVersion.ok) expect(badVersion.message).toMatch(/^scope\.version: /);
    const badArea = parseScope({ areas: ['z'] });
    if (badArea.ok) throw new Error('expected an error');
    expect(badArea.message).toMatch(/^scope\.areas\.0: /);
    expect(parseScope({ areas: [] }).ok).toBe(false);
    expect(parseScope({ colour: 1 }).ok).toBe(false);
  });
});
