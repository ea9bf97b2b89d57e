#!/usr/bin/env node
/**
 * Re-runnable import of the clause catalog: reads the research catalog (by default
 * `../shared/spec/clauses.json` and `clauses.meta.json` beside it, relative to the package root),
 * converts and validates it, and writes `specs/catalog/clauses.json`. The tool itself never reads
 * `../shared` at run time; only this maintainer script does.
 *
 * Usage: `npm run specs:import [-- --from DIR] [-- --check]`. `--check` writes nothing and exits 1
 * when the committed catalog differs from a fresh conversion.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convertCatalog } from './convert-catalog.js';
import { packageRoot } from '../catalog/package-root.js';

function main(argv: readonly string[]): number {
  const root = packageRoot();
  let from = resolve(root, '..', 'shared', 'spec');
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--from' && argv[i + 1] !== undefined) from = resolve(argv[++i]!);
    else if (arg === '--check') check = true;
    else {
      process.stderr.write(`import-catalog: unknown argument '${arg}' (expected --from DIR, --check)\n`);
      return 3;
    }
  }
  let raw: unknown;
  let meta: unknown;
  try {
    raw = JSON.parse(readFileSync(join(from, 'clauses.json'), 'utf8'));
    meta = JSON.parse(readFileSync(join(from, 'clauses.meta.json'), 'utf8'));
  } catch (error) {
    process.stderr.write(`import-catalog: cannot read the source catalog in ${from}: ${(error as Error).message}\n`);
    return 3;
  }
  const result = convertCatalog(raw, meta);
  if (!result.ok) {
    process.stderr.write(`import-catalog: the source catalog is invalid:\n  ${result.errors.join('\n  ')}\n`);
    return 3;
  }
  const text = `${JSON.stringify(result.catalog, null, 1)}\n`;
  const out = join(root, 'specs', 'catalog', 'clauses.json');
  if (check) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      /* a missing file differs */
    }
    if (current !== text) {
      process.stderr.write(`import-catalog: ${out} is out of date; run npm run specs:import\n`);
      return 1;
    }
    process.stdout.write(`import-catalog: ${out} is up to date (${result.catalog.clauses.length} clauses)\n`);
    return 0;
  }
  writeFileSync(out, text);
  process.stdout.write(`import-catalog: wrote ${result.catalog.clauses.length} clauses to ${out}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
