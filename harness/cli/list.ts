import {
  CLAUSE_AREAS,
  CLAUSE_LEVELS,
  CLAUSE_ROLES,
  DEFAULT_SCOPE,
  SPEC_VERSIONS,
  catalog,
  inScope,
  loadCatalog,
  CatalogError,
  type Catalog,
  type Clause,
  type ClauseScope,
} from '../../specs/catalog/index.js';
import { CHECK_AREAS } from '../checks/check.js';
import { ALL_CHECKS } from '../checks/registry.js';
import { ExitCode } from './exit-codes.js';
import { parseChoices, parseOptions } from './options.js';

/** `list --help` text. */
export const LIST_HELP = `Usage: virtio-net-conformance list [options]

Prints the clauses in scope: id, level, role and a one-line text.

Options:
  --area <a..h>         only these areas (comma-separated or repeated); replaces the scope's areas
  --level <level>       only these levels: MUST, MUST_NOT, SHOULD, SHOULD_NOT, MAY
  --role <role>         only clauses binding the device or the driver
  --spec-version <v>    newest spec version in scope: 1.2, 1.3 (default) or 1.4
  --legacy              include Legacy Interface clauses
  --checks              list the checks instead (--area then takes negotiation, header, mtu, ctrl,
                        ring, datapath)
  --catalog <file>      read the clause catalog from this file instead of the shipped one
  --json                print a JSON array instead of a table
  --debug               print stack traces on errors
  -h, --help            this text

Areas: a status/init/reset, b features, c config space, d split ring, e packed ring,
f notifications, g network device, h other PCI/MMIO transport rules (not in the default scope).`;

const normaliseLevel = (value: string): string => value.toUpperCase().replace(/[_-]/g, ' ');

/** Runs `list`; returns the exit code. */
export function runList(args: readonly string[], out: (text: string) => void): number {
  const { values } = parseOptions('list', args, {
    area: { type: 'string', multiple: true },
    level: { type: 'string', multiple: true },
    role: { type: 'string', multiple: true },
    'spec-version': { type: 'string' },
    legacy: { type: 'boolean' },
    catalog: { type: 'string' },
    checks: { type: 'boolean' },
  });
  if (values.help) {
    out(LIST_HELP);
    return ExitCode.Conformant;
  }
  if (values.checks) return listChecks(values, out);
  const areas = parseChoices('area', values.area, CLAUSE_AREAS, (v) => v.toLowerCase());
  const levels = parseChoices('level', values.level, CLAUSE_LEVELS, normaliseLevel, (l) => l.replace(' ', '_'));
  const roles = parseChoices('role', values.role, CLAUSE_ROLES, (v) => v.toLowerCase());
  const [version] = parseChoices('spec-version', values['spec-version'] === undefined ? undefined : [values['spec-version']], SPEC_VERSIONS) ?? [DEFAULT_SCOPE.version];
  const scope: ClauseScope = { version: version!, includeLegacy: values.legacy ?? false, areas: areas ?? DEFAULT_SCOPE.areas };

  const source = values.catalog === undefined ? catalog() : loadOrThrow(values.catalog);
  const selected = source.clauses.filter(
    (clause) =>
      inScope(clause, scope) && (levels === undefined || levels.includes(clause.level)) && (roles === undefined || roles.includes(clause.role)),
  );
  if (values.json) {
    out(JSON.stringify(selected, null, 2));
  } else {
    out(formatTable(selected));
    out(`${selected.length} clauses`);
  }
  return ExitCode.Conformant;
}

function listChecks(values: { area?: string[]; level?: string[]; role?: string[]; json?: boolean }, out: (text: string) => void): number {
  const areas = parseChoices('area', values.area, CHECK_AREAS, (v) => v.toLowerCase());
  const levels = parseChoices('level', values.level, CLAUSE_LEVELS, normaliseLevel, (l) => l.replace(' ', '_'));
  const roles = parseChoices('role', values.role, CLAUSE_ROLES, (v) => v.toLowerCase());
  const checks = ALL_CHECKS.filter(
    (c) => (areas === undefined || areas.includes(c.area)) && (levels === undefined || levels.includes(c.level)) && (roles === undefined || roles.includes(c.role)),
  );
  if (values.json) {
    out(JSON.stringify(checks.map(({ id, title, clauses, role, level, area, applies, decision }) => ({ id, title, clauses, role, level, area, applies, decision })), null, 2));
  } else {
    const width = Math.max(2, ...checks.map((c) => c.id.length));
    for (const c of checks) out(`${c.id.padEnd(width)}  ${c.level.padEnd(10)}  ${c.role.padEnd(6)}  ${c.clauses.join(' ')}`);
    out(`${checks.length} checks`);
  }
  return ExitCode.Conformant;
}

function loadOrThrow(path: string): Catalog {
  const result = loadCatalog(path);
  if (!result.ok) throw new CatalogError(result.error);
  return result.catalog;
}

function formatTable(clauses: readonly Clause[]): string {
  const idWidth = Math.max(2, ...clauses.map((c) => c.id.length));
  const width = process.stdout.columns && process.stdout.columns > 60 ? process.stdout.columns : 160;
  return clauses
    .map((c) => {
      const head = `${c.id.padEnd(idWidth)}  ${c.level.padEnd(10)}  ${c.role.padEnd(6)}  `;
      const room = Math.max(20, width - head.length);
      const text = c.text.length > room ? `${c.text.slice(0, room - 1)}…` : c.text;
      return head + text;
    })
    .join('\n');
}
