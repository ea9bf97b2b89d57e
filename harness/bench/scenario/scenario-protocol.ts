/**
 * What a scenario benchmark child prints: exactly one JSON line on stdout
 * with the wall and CPU time of each timed rep of one property, and the work
 * the reps did (runs and steps or commands), so that the suite can check
 * that every process ran the same scenarios.
 *
 * Arguments: `kind runsPerRep reps`.
 *
 * @module
 */

import { z } from 'zod';
import { SCENARIO_KINDS, type ScenarioKind } from './scenario-workloads.js';

const work = z.object({
  runs: z.number().int().min(1),
  units: z.number().int().min(0),
  minUnits: z.number().int().min(0),
  maxUnits: z.number().int().min(0),
});

/** Schema of a scenario child's result line. */
export const ScenarioResultSchema = z.object({
  kind: z.enum(SCENARIO_KINDS),
  runsPerRep: z.number().int().min(1),
  /** Wall-clock ms of each timed rep, in run order. */
  ms: z.array(z.number().positive()).min(1),
  /** Process CPU ms (user + system) of each timed rep: excludes waiting for a CPU. */
  cpuMs: z.array(z.number().nonnegative()).min(1),
  /** What each rep ran; rep i uses seed {@link repSeed}(i) in every process, so processes agree. */
  work: z.array(work).min(1),
});

/** A scenario child's result line, parsed. */
export type ScenarioResult = z.infer<typeof ScenarioResultSchema>;

/** Outcome of {@link parseScenarioOutput}. */
export type ScenarioParse = { readonly kind: 'ok'; readonly result: ScenarioResult } | { readonly kind: 'bad-output'; readonly message: string };

/** Parses the last non-empty stdout line of a scenario child; the arrays must have one entry per rep. */
export function parseScenarioOutput(stdout: string): ScenarioParse {
  const line = stdout.trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'bad-output', message: `not a JSON line: ${JSON.stringify(line.slice(0, 200))}` };
  }
  const parsed = ScenarioResultSchema.safeParse(json);
  if (!parsed.success) return { kind: 'bad-output', message: z.prettifyError(parsed.error).replace(/\n/g, '; ') };
  const r = parsed.data;
  if (r.cpuMs.length !== r.ms.length || r.work.length !== r.ms.length) {
    return { kind: 'bad-output', message: `${r.ms.length} wall times, ${r.cpuMs.length} CPU times and ${r.work.length} work records: one of each per rep expected` };
  }
  return { kind: 'ok', result: r };
}

/** The child's arguments, in order. */
export function scenarioArgs(kind: ScenarioKind, runsPerRep: number, reps: number): string[] {
  return [kind, String(runsPerRep), String(reps)];
}

/** fast-check seed of timed rep `rep` (the warm-up uses {@link WARMUP_SEED}). */
export function repSeed(rep: number): number {
  return 0x5ce0 + rep;
}

/** fast-check seed of the warm-up. */
export const WARMUP_SEED = 0x5ce0 - 1;
