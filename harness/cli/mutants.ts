/**
 * `mutants`: the kill matrix. Runs every shipped mutant against the checks it names and prints
 * which check killed it; exits 1 when a mutant survives or a check kills no mutant.
 *
 * @module
 */

import type { Check } from '../checks/check.js';
import type { DeviceCheckContext, DriverCheckContext, RunConfig } from '../checks/context.js';
import { deviceContext } from '../checks/device-context.js';
import { driverContext } from '../checks/driver-context.js';
import { ALL_CHECKS, findCheck } from '../checks/registry.js';
import { runCheck } from '../checks/runner.js';
import { ALL_MUTANTS } from '../mutants/registry.js';
import { ExitCode } from './exit-codes.js';
import { parseOptions } from './options.js';

/** `mutants --help` text. */
export const MUTANTS_HELP = `Usage: virtio-net-conformance mutants [--json]

Runs each shipped mutant (a deliberately broken device or driver) against the checks that must
kill it and prints the kill matrix. Exit 1 when a mutant survives or a check kills no mutant.`;

/** One cell of the matrix. */
export interface KillCell {
  readonly mutant: string;
  readonly check: string;
  readonly verdict: string;
  readonly killed: boolean;
}

/** Runs the kill matrix. */
export async function killMatrix(seed = 0x5eed, numRuns = 20): Promise<KillCell[]> {
  const cells: KillCell[] = [];
  for (const mutant of ALL_MUTANTS) {
    const config: RunConfig = { transport: mutant.transport ?? 'pci', ring: mutant.ring ?? 'split', seed, numRuns, timeoutMs: 20_000 };
    for (const id of mutant.killedBy) {
      const check = findCheck(id);
      if (check === undefined) {
        cells.push({ mutant: mutant.id, check: id, verdict: 'unknown check', killed: false });
        continue;
      }
      const result =
        mutant.role === 'device'
          ? await runCheck(check as Check<DeviceCheckContext>, mutant.adapter.name, config, deviceContext(mutant.adapter, config))
          : await runCheck(check as Check<DriverCheckContext>, mutant.adapter.name, config, driverContext(mutant.adapter, config));
      cells.push({ mutant: mutant.id, check: id, verdict: result.verdict.kind, killed: result.verdict.kind === 'fail' || result.verdict.kind === 'non-strict' });
    }
  }
  return cells;
}

/** Runs `mutants`; returns the exit code. */
export async function runMutants(args: readonly string[], out: (text: string) => void): Promise<number> {
  const { values } = parseOptions('mutants', args, {});
  if (values.help) {
    out(MUTANTS_HELP);
    return ExitCode.Conformant;
  }
  const cells = await killMatrix();
  const killedChecks = new Set(cells.filter((c) => c.killed).map((c) => c.check));
  const unkilled = ALL_CHECKS.map((c) => c.id).filter((id) => !killedChecks.has(id));
  const survivors = [...new Set(cells.filter((c) => !c.killed).map((c) => c.mutant))];
  if (values.json) out(JSON.stringify({ cells, survivors, unkilledChecks: unkilled }, null, 2));
  else {
    const width = Math.max(6, ...cells.map((c) => c.mutant.length));
    for (const c of cells) out(`${c.mutant.padEnd(width)}  ${c.killed ? 'killed  ' : 'SURVIVED'}  ${c.check} (${c.verdict})`);
    for (const id of unkilled) out(`check ${id} kills no mutant`);
    out(`${ALL_MUTANTS.length} mutants, ${cells.filter((c) => c.killed).length}/${cells.length} kills, ${survivors.length} survivors, ${unkilled.length} checks without a kill`);
  }
  return survivors.length === 0 && unkilled.length === 0 ? ExitCode.Conformant : ExitCode.Failures;
}
