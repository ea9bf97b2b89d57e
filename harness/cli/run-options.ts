/**
 * `run`'s options: parsed strictly, every value checked against what exists (features, clauses,
 * areas, levels), so a typo is a usage error (exit 3) and never a silently empty run.
 *
 * @module
 */

import { CHECK_AREAS, type CheckArea } from '../checks/check.js';
import { ALL_CHECKS } from '../checks/registry.js';
import { CLAUSE_LEVELS, catalog, type ClauseLevel } from '../../specs/catalog/index.js';
import { parseFeatureName } from '../../specs/features/feature-set.js';
import { UsageError } from './exit-codes.js';
import { parseChoices, parseOptions } from './options.js';

/** `run --help` text. */
export const RUN_HELP = `Usage: virtio-net-conformance [run] [options]

Runs the conformance checks and exits 0 (conformant), 1 (failures), 2 (inconclusive) or 3 (usage).

Subject:
  --target <t>          reference (default) or qemu
  --device <module>     judge this device adapter module (device-side checks)
  --driver <module>     judge this driver adapter module (driver-side checks)
Configuration:
  --transport <t>       pci, mmio (default: both)
  --ring <r>            split, packed (default: both)
  --features <names>    feature names the device is asked to offer (comma-separated)
Selection:
  --clause <id>         checks enforcing this clause (exact id, or a prefix ending in '*')
  --area <a>            negotiation, header, mtu, ctrl, ring, datapath
  --level <l>           MUST, MUST_NOT, SHOULD, SHOULD_NOT, MAY (the checks' levels)
Judgement and replay:
  --strict              SHOULD failures fail the gate
  --expectations <file> known failures (JSON: target, expected[{check, transport?, ring?, reason, link}]);
                        a known failure that passes fails the gate
  --runs <n>            runs per property (default 100)
  --seed <n>            fast-check seed (default: a fixed seed, so runs repeat)
  --path <p>            fast-check path, to replay one counterexample (with --seed)
  --timeout <ms>        bound on one check run (default 10000)
Output:
  --report <dir>        write report.json, report.schema.json and junit.xml there
  --shard <i/n>         run the i-th of n shards
  --json                print the report JSON instead of the summary
  --debug               stack traces on errors
  -h, --help            this text`;

/** The options `run` resolved. */
export interface RunOptions {
  readonly help: boolean;
  readonly json: boolean;
  readonly target: 'reference' | 'qemu';
  readonly device?: string;
  readonly driver?: string;
  readonly transports: readonly ('pci' | 'mmio')[];
  readonly rings: readonly ('split' | 'packed')[];
  readonly features: readonly string[];
  readonly clauses?: readonly string[];
  readonly areas: readonly CheckArea[];
  readonly levels?: readonly ClauseLevel[];
  readonly strict: boolean;
  readonly numRuns: number;
  readonly seed: number;
  readonly path?: string;
  readonly timeoutMs: number;
  readonly report?: string;
  readonly shard?: string;
  readonly expectations?: string;
}

/** The seed a run uses when none is given: fixed, so two runs of the same tree agree. */
export const DEFAULT_SEED = 0x7669_6f;

function integer(flag: string, raw: string | undefined, min: number, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) throw new UsageError(`--${flag}: expected an integer ≥ ${min}, got '${raw}'`);
  return Number(raw);
}

/** Parses and checks `run`'s arguments. @throws UsageError */
export function parseRunOptions(args: readonly string[]): RunOptions {
  const { values, positionals } = parseOptions(
    'run',
    args,
    {
      target: { type: 'string' },
      device: { type: 'string' },
      driver: { type: 'string' },
      transport: { type: 'string', multiple: true },
      ring: { type: 'string', multiple: true },
      features: { type: 'string', multiple: true },
      clause: { type: 'string', multiple: true },
      area: { type: 'string', multiple: true },
      level: { type: 'string', multiple: true },
      strict: { type: 'boolean' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      path: { type: 'string' },
      timeout: { type: 'string' },
      report: { type: 'string' },
      expectations: { type: 'string' },
      shard: { type: 'string' },
    },
    true,
  );
  if (positionals.length > 0) throw new UsageError(`run: unexpected argument '${positionals[0]}'. See 'virtio-net-conformance run --help'.`);
  const [target] = parseChoices('target', values.target === undefined ? undefined : [values.target], ['reference', 'qemu'] as const) ?? ['reference' as const];
  const features = (values.features ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const name of features) {
    const parsed = parseFeatureName(name);
    if (parsed.kind !== 'feature') throw new UsageError(`--features: ${parsed.message}`);
  }
  const clauses = values.clause?.flatMap((v) => v.split(',')).map((v) => v.trim());
  for (const clause of clauses ?? []) {
    const known = clause.endsWith('*') ? catalog().clauses.some((c) => c.id.startsWith(clause.slice(0, -1))) : catalog().has(clause);
    if (!known) throw new UsageError(`--clause: no clause '${clause}' in the catalog (see 'virtio-net-conformance list')`);
    const checked = ALL_CHECKS.some((check) => check.clauses.some((id) => (clause.endsWith('*') ? id.startsWith(clause.slice(0, -1)) : id === clause)));
    if (!checked) throw new UsageError(`--clause: no check enforces '${clause}' (see 'virtio-net-conformance explain ${clause}')`);
  }
  const shard = values.shard;
  if (shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(shard);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n, got '${shard}'`);
  }
  if (values.path !== undefined && values.seed === undefined) throw new UsageError('--path: replaying a path needs the --seed it came from');
  const levels = parseChoices('level', values.level, CLAUSE_LEVELS, (v) => v.toUpperCase().replace(/[_-]/g, ' '), (l) => l.replace(' ', '_'));
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    target: target!,
    ...(values.device === undefined ? {} : { device: values.device }),
    ...(values.driver === undefined ? {} : { driver: values.driver }),
    transports: parseChoices('transport', values.transport, ['pci', 'mmio'] as const) ?? ['pci', 'mmio'],
    rings: parseChoices('ring', values.ring, ['split', 'packed'] as const) ?? ['split', 'packed'],
    features,
    ...(clauses === undefined ? {} : { clauses }),
    areas: parseChoices('area', values.area, CHECK_AREAS) ?? [...CHECK_AREAS],
    ...(levels === undefined ? {} : { levels }),
    strict: values.strict ?? false,
    numRuns: integer('runs', values.runs, 1, 100),
    seed: integer('seed', values.seed, -(2 ** 31), DEFAULT_SEED),
    ...(values.path === undefined ? {} : { path: values.path }),
    timeoutMs: integer('timeout', values.timeout, 1, 10_000),
    ...(values.report === undefined ? {} : { report: values.report }),
    ...(shard === undefined ? {} : { shard }),
    ...(values.expectations === undefined ? {} : { expectations: values.expectations }),
  };
}
